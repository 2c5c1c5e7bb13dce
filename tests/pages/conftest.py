from tests.demo_fixture import demo_app, demo_settings, empty_settings  # noqa: F401 (fixtures)
from tests.hostile_fixture import hostile_settings  # noqa: F401 (fixture)
