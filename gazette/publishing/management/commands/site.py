"""`gazette site build`: render every public page into the page store."""

import sys

from django.core.management.base import BaseCommand, CommandError

from gazette.publishing.building import build_site
from gazette.publishing.store import PageStore


class Command(BaseCommand):
    help = "Manage the page store. `gazette site build` renders the whole site into it."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        build = sub.add_parser(
            "build", help="Render every public page; remove pages that are gone."
        )
        build.add_argument(
            "--jobs",
            type=int,
            default=None,
            help="render processes (default: GAZETTE_BUILD_JOBS, one per core; one for a "
            "small site)",
        )

    def handle(self, *args, action, jobs=None, **options):
        if jobs is not None and jobs < 1:
            raise CommandError("--jobs must be 1 or more.")
        store = PageStore()
        self.total = 0
        self.stdout.write(f"Building the page store in {store.root}")
        summary = build_site(store=store, progress=self._progress, total=self._set_total, jobs=jobs)
        self.stdout.write("")
        self.stdout.write(str(summary))
        for error in summary.errors:
            self.stderr.write(f"  failed: {error}")
        if summary.errors:
            raise CommandError(f"{len(summary.errors)} pages could not be rendered.")

    def _set_total(self, total: int) -> None:
        self.total = total

    def _progress(self, done: int) -> None:
        if not self.stdout.isatty() and done != self.total and done % 500:
            return
        width = 30
        filled = width * done // max(self.total, 1)
        self.stdout.write(
            f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{self.total}", ending=""
        )
        sys.stdout.flush()
