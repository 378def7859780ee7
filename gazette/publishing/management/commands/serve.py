"""`gazette serve`: the production web server (granian, WSGI), also serving static and media
files without entering Python."""

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


def prepare_directories() -> None:
    """granian refuses to mount a directory that does not exist."""
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    (settings.MEDIA_ROOT / "images").mkdir(parents=True, exist_ok=True)


def granian_argv(*, host: str, port: int, workers: int, threads: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        "--no-access-log",
        "--static-path-route",
        settings.STATIC_URL.rstrip("/"),
        "--static-path-mount",
        str(settings.STATIC_ROOT),
        # Only image renditions are public files; documents go through Wagtail's view.
        "--static-path-route",
        settings.MEDIA_URL + "images",
        "--static-path-mount",
        str(settings.MEDIA_ROOT / "images"),
        "gazette.wsgi:application",
    ]


class Command(BaseCommand):
    help = "Serve the site with granian (WSGI). Run `gazette collectstatic` first."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("GAZETTE_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("GAZETTE_WEB_WORKERS", "2"))
        )
        parser.add_argument(
            "--threads", type=int, default=int(os.environ.get("GAZETTE_WEB_THREADS", "4"))
        )

    def handle(self, *args, **options):
        prepare_directories()
        argv = granian_argv(
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            threads=options["threads"],
        )
        sys.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with granian
