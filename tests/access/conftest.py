from tests.demo_fixture import demo_settings  # noqa: F401 (fixture)
