"""`gazette newsletter send ISSUE_ID` sends an issue from this process (run it on several
machines to share one send); `gazette newsletter status ISSUE_ID` shows how far it is;
`schedule` sets its time; `pause` and `resume` stop and release a send (each state change
goes through ``gazette.newsletters.actions``, as the admin's buttons do); `bounces` records
the bounces in the bounce mailbox (mailbox.py).

`import FILE.csv --newsletter SLUG` and `export [FILE]` move the list in and out as CSV;
`export --email EMAIL` prints what is stored about one subscriber, and `erase EMAIL` erases
it (gazette/newsletters/subscribers/)."""

import getpass
import json
import os
import signal
import sys
import time
from contextlib import contextmanager
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gazette.accounts import audit
from gazette.newsletters import actions, subscribers
from gazette.newsletters.mailbox import process_mailbox
from gazette.newsletters.models import Issue, Newsletter, normalise_email
from gazette.newsletters.scheduling import default_send_at
from gazette.newsletters.sending import SendOptions, progress, send_issue

ISSUE_ACTIONS = ("send", "status", "pause", "resume", "schedule")


class Command(BaseCommand):
    help = "Send newsletter issues and follow their progress."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        send = sub.add_parser("send", help="Send an issue from this process, with a progress bar.")
        send.add_argument("issue_id", type=int)
        send.add_argument("--batch-size", type=int, help="Deliveries claimed at a time.")
        status = sub.add_parser("status", help="Show how far an issue's send has come.")
        status.add_argument("issue_id", type=int)
        pause = sub.add_parser("pause", help="Stop a send; workers finish the chunk in hand.")
        pause.add_argument("issue_id", type=int)
        resume = sub.add_parser("resume", help="Let a paused send go on (a worker takes it).")
        resume.add_argument("issue_id", type=int)
        bounces = sub.add_parser(
            "bounces", help="Record the bounces in the bounce mailbox, and delete them there."
        )
        bounces.add_argument(
            "--mailbox", help="A Maildir or mbox (default: GAZETTE_NEWSLETTER_BOUNCE_MAILBOX)."
        )
        schedule = sub.add_parser("schedule", help="Send an issue at a time (default: Friday).")
        schedule.add_argument("issue_id", type=int)
        schedule.add_argument(
            "--at", help="YYYY-MM-DD HH:MM in the newsroom's time zone (default: the next send day)"
        )

        imports = sub.add_parser(
            "import",
            help="Subscribe the addresses in a CSV file (header: email[,name,language,"
            "subscribed_at]) to a newsletter, as confirmed subscribers.",
        )
        imports.add_argument("file")
        self._newsletter_arguments(imports, required=True)
        imports.add_argument("--dry-run", action="store_true", help="Check; write nothing.")
        imports.add_argument(
            "--by", default=getpass.getuser(), help="Who runs the import (for the record)."
        )
        imports.add_argument(
            "--policy-version",
            default="",
            help="The privacy policy version the list's consent was given under, if ours.",
        )
        imports.add_argument("--batch-size", type=int, default=1000)

        export = sub.add_parser(
            "export", help="Write the subscribers as CSV, or one subscriber's data as JSON."
        )
        export.add_argument("file", nargs="?", default="-", help="Default: standard output.")
        self._newsletter_arguments(export, required=False)
        export.add_argument("--email", help="Everything stored about this address, as JSON.")

        erase = sub.add_parser("erase", help="Erase a subscriber on their request.")
        erase.add_argument("email")
        erase.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
        erase.add_argument(
            "--by", default=getpass.getuser(), help="Who erases (for the audit log)."
        )

    def _newsletter_arguments(self, parser, *, required: bool) -> None:
        parser.add_argument("--newsletter", required=required, metavar="SLUG")
        parser.add_argument(
            "--site", metavar="HOSTNAME", help="When several sites have a newsletter SLUG."
        )

    def handle(self, *args, action, **options):
        if action in ISSUE_ACTIONS:
            return self._issue(action, options["issue_id"], options)
        try:
            getattr(self, f"_{action}")(**options)
        except ValidationError:
            raise CommandError("That is not an email address.") from None

    def _bounces(self, *, mailbox, **_) -> None:
        path = mailbox or settings.GAZETTE_NEWSLETTER_BOUNCE_MAILBOX
        if not path:
            raise CommandError(
                "No bounce mailbox: set GAZETTE_NEWSLETTER_BOUNCE_MAILBOX or give --mailbox."
            )
        try:
            tally = process_mailbox(path)
        except (ValueError, OSError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{path}: {tally}")

    def _newsletter(self, slug: str | None, site: str | None) -> Newsletter | None:
        if slug is None:
            return None
        found = Newsletter.objects.filter(slug=slug)
        if site:
            found = found.filter(site__hostname=site)
        found = list(found.select_related("site")[:2])
        if not found:
            known = ", ".join(Newsletter.objects.values_list("slug", flat=True)) or "none yet"
            raise CommandError(f"There is no newsletter {slug!r} (newsletters: {known}).")
        if len(found) > 1:
            raise CommandError(f"Several sites have a newsletter {slug!r}: add --site HOSTNAME.")
        return found[0]

    def _import(self, *, file, newsletter, site, dry_run, by, policy_version, batch_size, **_):
        target = self._newsletter(newsletter, site)
        shown = []

        def show(problem) -> None:
            shown.append(problem)
            self.stderr.write(str(problem))

        try:
            report = subscribers.import_csv(
                file,
                newsletter=target,
                run_by=by,
                policy_version=policy_version,
                dry_run=dry_run,
                batch_size=batch_size,
                on_problem=show,
            )
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        except subscribers.ImportFileError as error:
            raise CommandError(f"{file}, {error} Nothing was imported.") from None
        if report.ignored_columns:
            self.stdout.write(f"Ignored columns: {', '.join(report.ignored_columns)}")
        prefix = "Dry run, nothing written. " if dry_run else ""
        self.stdout.write(f"{prefix}{target.name}: {report}.")
        if shown:
            self.stdout.write(f"The skipped rows are listed above, by line ({len(shown)}).")

    def _export(self, *, file, newsletter, site, email, **_):
        if email:
            data = subscribers.subscriber_data(email)
            _audit("privacy.export", email, found=data is not None)
            if data is None:
                raise CommandError("Nothing is stored under this address.")
            with self._output(file) as out:
                json.dump(data, out, ensure_ascii=False, indent=2)
                out.write("\n")
            return
        target = self._newsletter(newsletter, site)
        with self._output(file) as out:
            count = subscribers.export_csv(out, newsletter=target)
        audit.record(
            "privacy.export_list",
            actor_name=f"{getpass.getuser()} (command line)",
            target_label=f"newsletter {target.pk}" if target else "all newsletters",
            data={"via": "command", "rows": count},
        )
        if file != "-":
            self.stdout.write(f"{count} subscriptions written to {file}.")

    @contextmanager
    def _output(self, file: str):
        if file == "-":
            yield self.stdout._out
            return
        # Only the owner may read it: it is a list of the newsroom's readers.
        try:
            descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError as error:
            raise CommandError(f"Cannot write {file}: {error.strerror}.") from None
        with open(descriptor, "w", newline="", encoding="utf-8") as out:
            yield out

    def _erase(self, *, email, yes, by, **_):
        if not yes:
            if not sys.stdin.isatty():
                raise CommandError("Add --yes to erase without being asked.")
            answer = input(f"Erase everything stored about {email}? It cannot be undone. [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                raise CommandError("Nothing was erased.")
        result = subscribers.erase_subscriber(email, by=f"{by} (command line)")
        _audit("privacy.erase", email, found=result.found)
        self.stdout.write(str(result))

    def _issue(self, action: str, issue_id: int, options: dict) -> None:
        try:
            issue = Issue.objects.select_related("newsletter").get(pk=issue_id)
        except Issue.DoesNotExist:
            raise CommandError(f"There is no issue {issue_id}.") from None
        if action == "status":
            self.stdout.write(f"{issue.subject} ({issue.newsletter}): {issue.get_status_display()}")
            self.stdout.write(str(progress(issue)))
            return
        try:
            if action in ("pause", "resume", "schedule"):
                if action == "schedule":
                    actions.schedule(issue, user=None, send_at=self._when(options["at"]))
                else:
                    getattr(actions, action)(issue, user=None)
                issue.refresh_from_db()
                when = f" at {timezone.localtime(issue.send_at):%Y-%m-%d %H:%M %Z}"
                self.stdout.write(
                    f"Issue {issue_id}: {issue.get_status_display()}"
                    + (when if issue.status == Issue.Status.SCHEDULED else "")
                )
                return
            if issue.status == Issue.Status.SENT:
                raise CommandError(f"Issue {issue_id} has been sent already.")
            if issue.status == Issue.Status.PAUSED:
                raise CommandError(f"Issue {issue_id} is paused: resume it first.")
            if issue.status in actions.STARTABLE:
                actions.send_now(issue, user=None, enqueue=False)
        except actions.Refused as refusal:
            raise CommandError(f"Issue {issue_id}: {refusal}") from None
        overrides = {"batch_size": options["batch_size"]} if options["batch_size"] else {}
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        self._shown = 0.0
        self._last = None
        result = send_issue(
            issue,
            options=SendOptions.from_settings(**overrides),
            on_progress=lambda: self._show(issue),
            should_stop=lambda: bool(stopping),
        )
        self._show(issue, force=True)
        self.stdout.write("")
        self.stdout.write(str(result))
        if stopping:
            raise CommandError("Stopped; run the command again to go on.")

    @staticmethod
    def _when(text: str | None) -> datetime:
        if not text:
            return default_send_at()
        try:
            naive = datetime.strptime(text, "%Y-%m-%d %H:%M")  # noqa: DTZ007 (made aware next)
            return timezone.make_aware(naive)
        except ValueError:
            raise CommandError(f"--at {text!r}: write the time as YYYY-MM-DD HH:MM.") from None

    def _show(self, issue: Issue, *, force: bool = False) -> None:
        """A progress bar, redrawn at most every two seconds (counting costs a query), with
        the rate since the last redraw."""
        now = time.monotonic()
        if not force and now - self._shown < 2:
            return
        self._shown = now
        state = self._last = progress(issue, since=self._last)
        width = 30
        filled = width * state.done // max(state.total, 1)
        line = f"[{'#' * filled}{'.' * (width - filled)}] {state}"
        if self.stdout.isatty():
            self.stdout.write(f"\r{line}", ending="")
        else:
            self.stdout.write(line)
        sys.stdout.flush()


def _audit(action: str, email: str, *, found: bool) -> None:
    """An audit entry naming the address by its keyed hash (gazette/privacy/labels.py)."""
    from gazette.privacy.labels import request_label

    label = request_label(normalise_email(email))
    data = {"via": "command:newsletter", "found": found}
    audit.record(
        action, actor_name=f"{getpass.getuser()} (command line)", target_label=label, data=data
    )
