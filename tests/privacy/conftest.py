from tests.newsletters.conftest import weekly  # noqa: F401
