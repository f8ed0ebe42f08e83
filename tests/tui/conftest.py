from .helpers import app_env  # noqa: F401  (fixture)
