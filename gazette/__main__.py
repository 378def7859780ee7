"""The `gazette` command: Django's management commands, plus `demo`, `serve` and `worker`."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["demo"]:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gazette.demo.settings")
        if "--port" in argv[:-1]:  # the demo's canonical links name the port it serves on
            os.environ["PORT"] = argv[argv.index("--port") + 1]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gazette.settings")

    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        import django

        django.setup()
    except ImproperlyConfigured as error:
        sys.stderr.write(f"gazette: cannot start: {error}\n")
        raise SystemExit(2) from None
    execute_from_command_line(["gazette", *argv])


if __name__ == "__main__":
    main()
