"""Names vulture cannot see being used: a library or a framework reads them by name.

`make lint` gives this file to vulture beside the code (pyproject.toml, [tool.vulture]). Dash
callbacks, typer commands, pydantic validators, Flask handlers and pytest fixtures are left out
by their decorators there; what is listed here is read by name by the library beside it.
"""
# ruff: noqa: B018, F821 (a list of names for vulture, never run)

# pytest: hooks, the plugin list and module marks
pytest_plugins
pytest_configure
pytest_collection_modifyitems
pytest_setup_options  # dash[testing]'s hook for the Chromium options
pytestmark
_.binary_location  # selenium's Chromium options

# gunicorn.conf.py: settings and server hooks gunicorn reads from the module
worker_class
preload_app
graceful_timeout
keepalive
accesslog
errorlog
access_log_format
on_starting
post_fork

# Alembic revisions
down_revision
branch_labels
depends_on
downgrade

# pydantic models
model_config

# SQLAlchemy: type decorators, compiled functions, and mapped columns the loaders select by name
impl
cache_ok
inherit_cache
load_dialect_impl
process_bind_param
process_result_value
assigned_at
sal_at
sql_at
recycled_at
first_touch_at
_.autocommit  # psycopg's connection

# Flask's session, python-pptx's objects: attributes the library reads
_.permanent
_.word_wrap
_.rgb
_.alignment
_.margin_top
_.margin_bottom
_.slide_width
_.slide_height
_.author
_.__qualname__  # the review page's download callbacks, named apart for Dash

# Names read by name: the alerts' --only choices (typer lists an Enum's members), gunicorn's
# request limits, aiosmtpd's and http.server's handler hooks in the tests, the pytest fixtures
# asked for their effect, and the role lookup the alerts' pause page uses through the store
_.breach_soon
_.stale_data
limit_request_line
limit_request_fields
limit_request_field_size
_.handle_DATA
_.do_POST
_.log_message
open_umask
_.auto_size  # python-pptx text frame property, set on slides
