"""`gazette newsletter send ISSUE_ID` sends an issue from this process (run it on several
machines to share one send); `gazette newsletter status ISSUE_ID` shows how far it is;
`schedule` sets its time; `pause` and `resume` stop and release a send. Each state change
goes through ``gazette.newsletters.actions``, as the admin's buttons do."""

import signal
import sys
import time
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gazette.newsletters import actions
from gazette.newsletters.models import Issue
from gazette.newsletters.scheduling import default_send_at
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
        resume = sub.add_parser("resume", help="Let a paused send go on (a worker takes it).")
        resume.add_argument("issue_id", type=int)
        schedule = sub.add_parser("schedule", help="Send an issue at a time (default: Friday).")
        schedule.add_argument("issue_id", type=int)
        schedule.add_argument(
            "--at", help="YYYY-MM-DD HH:MM in the newsroom's time zone (default: the next send day)"
        )

    def handle(self, *args, action, issue_id, **options):
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
