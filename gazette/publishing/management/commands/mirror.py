"""`gazette mirror push [TARGET]`: copy what changed in the site to the configured mirrors."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gazette.publishing.mirroring import (
    MirrorError,
    collect_sources,
    open_target,
    parse_targets,
    push,
)


class Command(BaseCommand):
    help = (
        "Copy the page store, static files and image renditions to the mirrors named in "
        "GAZETTE_MIRROR_TARGETS, sending only what changed."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        push = sub.add_parser("push", help="Push to every target, or to the one named.")
        push.add_argument("target", nargs="?", help="a name from GAZETTE_MIRROR_TARGETS")
        push.add_argument(
            "--full", action="store_true", help="re-send every file, whatever the manifest says"
        )
        push.add_argument(
            "--dry-run", action="store_true", help="say what would change; change nothing"
        )

    def handle(self, *args, action, target=None, full=False, dry_run=False, **options):
        try:
            targets = parse_targets(value=settings.GAZETTE_MIRROR_TARGETS)
        except MirrorError as error:
            raise CommandError(str(error)) from error
        if not targets:
            raise CommandError(
                "No mirrors are configured: set GAZETTE_MIRROR_TARGETS, e.g. "
                "local=file:///srv/mirror,bucket=s3://my-bucket/prefix"
            )
        if target is not None:
            if target not in targets:
                raise CommandError(
                    f"No mirror named {target!r}; configured: {', '.join(sorted(targets))}."
                )
            targets = {target: targets[target]}

        try:
            sources = collect_sources(
                store_root=settings.GAZETTE_STORE_DIR,
                static_root=settings.STATIC_ROOT,
                media_root=settings.MEDIA_ROOT,
            )
        except MirrorError as error:
            raise CommandError(str(error)) from error
        verbose = options.get("verbosity", 1) >= 2 or dry_run
        # One unreachable mirror must not keep the others stale: push to each, fail at the end.
        failed = []
        for name, url in targets.items():
            try:
                mirror = open_target(name=name, url=url)
                self.stdout.write(f"Pushing to {mirror}{' (dry run)' if dry_run else ''}")
                summary = push(
                    target=mirror,
                    sources=sources,
                    full=full,
                    dry_run=dry_run,
                    progress=self._progress if verbose else None,
                )
            except MirrorError as error:
                self.stderr.write(str(error))
                failed.append(name)
                continue
            self.stdout.write(f"  {name}: {summary}")
        if failed:
            raise CommandError(f"Could not update mirror(s): {', '.join(failed)}.")

    def _progress(self, action: str, key: str) -> None:
        self.stdout.write(f"  {action} /{key}")
