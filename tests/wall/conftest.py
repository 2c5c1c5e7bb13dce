from tests.demo_fixture import demo_app, demo_settings  # noqa: F401 (fixtures)
