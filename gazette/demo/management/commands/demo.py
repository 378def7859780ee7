"""`gazette demo`: set up the demo newsroom and serve it with its worker until Ctrl-C."""

import os
import secrets
import signal
import subprocess
import sys
from base64 import b32encode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from gazette.newsroom.models import ArticlePage
from gazette.publishing.building import build_site
from gazette.publishing.management.commands.serve import granian_argv, prepare_directories
from gazette.publishing.store import PageStore

ADMIN_USERNAME = "admin"
DEMO_APP = "Demo authenticator app"


class Command(BaseCommand):
    help = "Set up the demo newsroom, then serve it and run the task worker until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--no-serve", action="store_true", help="Set up and load, then exit (for scripts)."
        )

    def handle(self, *args, **options):
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        self.stdout.write(f"Data directory: {settings.DATA_DIR}")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        if not ArticlePage.objects.exists():
            from gazette.demo.loader import load_demo

            self.stdout.write("Loading the demo newsroom…")
            load_demo(progress=self._progress)
            self.stdout.write("")
        if not any(PageStore().paths()):
            self.stdout.write("Rendering the site into the page store…")
            self.stdout.write(str(build_site()))
        password, app_key, codes = self._reset_admin()
        port = options["port"]
        self.stdout.write(
            self.style.SUCCESS(f"\nThe Lantern (demo) is at http://127.0.0.1:{port}/")
            + f"\nAdmin: http://127.0.0.1:{port}/{settings.WAGTAILADMIN_PATH}/"
            + f"\n  user name: {ADMIN_USERNAME}\n  password:  {password}"
            + "\n  second factor: an authenticator app with this key (or"
            + f" `oathtool --totp -b {app_key}`):\n    {app_key}"
            + f"\n  or one of these one-time recovery codes: {' '.join(codes)}"
            + f"\n  (security keys and passkeys need a host name: http://localhost:{port}/)"
            + "\nPress Ctrl-C to stop.\n"
        )
        if not options["no_serve"]:
            self._serve(port)

    def _progress(self, done: int, total: int) -> None:
        self.stdout.write(f"\r  articles: {done}/{total}", ending="")
        self.stdout.flush()

    def _reset_admin(self) -> tuple[str, str, list[str]]:
        """A new password, authenticator-app key and recovery codes on every start: the demo
        never keeps one in a file. Staff need a second factor (gazette/accounts/)."""
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from gazette.accounts import factors

        password = secrets.token_urlsafe(12)
        user, _ = get_user_model().objects.get_or_create(
            username=ADMIN_USERNAME, defaults={"email": "admin@example.org"}
        )
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        TOTPDevice.objects.filter(user=user, name=DEMO_APP).delete()
        app = TOTPDevice.objects.create(user=user, name=DEMO_APP, confirmed=True)
        codes = factors.new_recovery_codes(user, request=None)[:3]
        return password, b32encode(app.bin_key).decode(), codes

    def _serve(self, port: int) -> None:
        prepare_directories()
        env = {**os.environ, "PORT": str(port)}
        server = subprocess.Popen(
            granian_argv(host="127.0.0.1", port=port, workers=1, threads=4), env=env
        )
        worker = subprocess.Popen(
            [sys.executable, "-m", "gazette", "worker", "--verbosity", "0"], env=env
        )
        children = {"server": server, "worker": worker}

        def stop(signum, frame):
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        interrupted = False
        try:
            while all(child.poll() is None for child in children.values()):
                try:
                    server.wait(timeout=1)
                except subprocess.TimeoutExpired:
                    pass
        except KeyboardInterrupt:
            interrupted = True
        finally:
            self.stdout.write("\nStopping the server and the worker…")
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signal.SIGINT)
            for child in children.values():
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
        if not interrupted:
            died = ", ".join(
                f"{name} (exit {child.returncode})" for name, child in children.items()
            )
            raise SystemExit(f"The demo stopped because a process exited: {died}")
        self.stdout.write("Stopped.")
