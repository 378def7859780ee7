"""DEMO SETTINGS: for `gazette demo` on a developer's laptop, never for a real newsroom.

Development mode (a generated secret key in the data directory, SQLite, loopback hosts only),
with the demo newsroom's name and address. DEBUG stays off, as in production.
"""

import os

os.environ.setdefault("GAZETTE_ENV", "development")
os.environ.setdefault("GAZETTE_SITE_NAME", "The Lantern (demo)")
os.environ.setdefault("GAZETTE_BASE_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")
os.environ.setdefault("GAZETTE_SCHEDULE_INTERVAL", "10")
os.environ.setdefault("GAZETTE_LOG_LEVEL", "WARNING")

from gazette.settings import *  # noqa: F403
