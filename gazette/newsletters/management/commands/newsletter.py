"""`gazette newsletter send ISSUE_ID` sends an issue from this process (run it on several
machines to share one send); `gazette newsletter status ISSUE_ID` shows how far it is;
`pause` and `resume` stop and release a send; `bounces` records the bounces in the bounce
mailbox (mailbox.py)."""

import signal
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gazette.newsletters.mailbox import process_mailbox
from gazette.newsletters.models import Issue
from gazette.newsletters.sending import SendOptions, progress, send_issue


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
        resume = sub.add_parser("resume", help="Let a paused send go on (then run send).")
        resume.add_argument("issue_id", type=int)
        bounces = sub.add_parser(
            "bounces", help="Record the bounces in the bounce mailbox, and delete them there."
        )
        bounces.add_argument(
            "--mailbox", help="A Maildir or mbox (default: GAZETTE_NEWSLETTER_BOUNCE_MAILBOX)."
        )

    def handle(self, *args, action, issue_id=None, **options):
        if action == "bounces":
            self._bounces(options["mailbox"] or settings.GAZETTE_NEWSLETTER_BOUNCE_MAILBOX)
            return
        try:
            issue = Issue.objects.select_related("newsletter").get(pk=issue_id)
        except Issue.DoesNotExist:
            raise CommandError(f"There is no issue {issue_id}.") from None
        if action == "status":
            self.stdout.write(f"{issue.subject} ({issue.newsletter}): {issue.get_status_display()}")
            self.stdout.write(str(progress(issue)))
            return
        if action in ("pause", "resume"):
            if not getattr(issue, action)():
                raise CommandError(f"Issue {issue_id} is {issue.get_status_display().lower()}.")
            self.stdout.write(f"Issue {issue_id}: {issue.get_status_display()}")
            return
        if issue.status == Issue.Status.SENT:
            raise CommandError(f"Issue {issue_id} has been sent already.")
        if issue.status == Issue.Status.PAUSED:
            raise CommandError(f"Issue {issue_id} is paused: resume it first.")
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

    def _bounces(self, path: str) -> None:
        if not path:
            raise CommandError(
                "No bounce mailbox: set GAZETTE_NEWSLETTER_BOUNCE_MAILBOX or give --mailbox."
            )
        try:
            tally = process_mailbox(path)
        except (ValueError, OSError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{path}: {tally}")

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
