#!/usr/bin/env python3
"""Render Gazette's nginx recipe (nginx-site.conf.template) for one deployment.

    python3 deploy/render_nginx.py --data-dir /srv/gazette --upstream-port 8001 --listen 80 \\
        > /etc/nginx/sites-enabled/gazette.conf

With --standalone DIR it also writes DIR/nginx.conf, a whole nginx configuration that runs
without root and without touching /etc/nginx or /var/log (the tests and benchmarks use it):

    nginx -p DIR -c DIR/nginx.conf -e DIR/error.log

Standard library only, so it runs on a machine without Gazette's virtualenv.
"""

import argparse
import os
import re
import sys
from pathlib import Path

TEMPLATE = Path(__file__).with_name("nginx-site.conf.template")
MODULES = Path("/usr/lib/nginx/modules")
BROTLI_MODULE = MODULES / "ngx_http_brotli_static_module.so"
MIME_TYPES = Path("/etc/nginx/mime.types")
PLACEHOLDER = re.compile(r"\$\{((?:GAZETTE|NGINX)_[A-Z_]+)\}")


def render_site(
    *,
    store_dir: Path | str,
    static_root: Path | str,
    media_root: Path | str,
    upstream_port: int,
    listen: str | int,
    server_name: str = "_",
    admin_path: str = "admin",
    onion_origin: str = "",
    brotli: bool = True,
    template: Path = TEMPLATE,
) -> str:
    """The recipe with its placeholders filled in. Without brotli, brotli_static is commented
    out; without an onion origin, the Onion-Location header."""
    values = {
        "GAZETTE_STORE_DIR": _directory(store_dir),
        "GAZETTE_STATIC_ROOT": _directory(static_root),
        "GAZETTE_MEDIA_ROOT": _directory(media_root),
        "GAZETTE_UPSTREAM_PORT": str(int(upstream_port)),
        "GAZETTE_ADMIN_PATH": admin_path.strip("/"),
        "NGINX_LISTEN": str(listen),
        "NGINX_SERVER_NAME": server_name,
        "GAZETTE_ONION_ORIGIN": onion_origin.rstrip("/"),
    }
    for name, value in values.items():
        optional = name == "GAZETTE_ONION_ORIGIN"
        if (not value and not optional) or any(char in value for char in " ;{}|\"'\n\\$"):
            raise ValueError(f"{name}={value!r} cannot go into an nginx configuration")
    if onion_origin and not re.fullmatch(r"https?://[a-z2-7]{56}\.onion/?", onion_origin):
        raise ValueError(f"{onion_origin!r} is not an onion service's origin (http://....onion)")

    def fill(match: re.Match) -> str:
        if match.group(1) not in values:
            raise KeyError(f"{template.name} has an unknown placeholder {match.group(0)}")
        return values[match.group(1)]

    text = PLACEHOLDER.sub(fill, template.read_text())
    if not brotli:
        text = re.sub(r"(?m)^(\s*)(brotli_static\b)", r"\1# \2", text)
    if not onion_origin:
        text = re.sub(r"(?m)^(\s*)(add_header Onion-Location\b)", r"\1# \2", text)
    return text


def standalone_config(
    prefix: Path,
    *,
    site_conf: Path,
    workers: int | str = "auto",
    brotli: bool = True,
) -> str:
    """A whole nginx.conf around one site file, with every writable path inside ``prefix``.

    Mirrors Debian's /etc/nginx/nginx.conf (sendfile, tcp_nopush, mime.types); no access log.
    """
    prefix = Path(prefix).resolve()
    lines = [
        "# Written by deploy/render_nginx.py --standalone: runs in the foreground as any user.",
        "daemon off;",
        f"worker_processes {workers};",
        f"pid {prefix / 'nginx.pid'};",
        f"error_log {prefix / 'error.log'} warn;",
    ]
    if os.geteuid() == 0:
        # As root, workers would drop to "nobody", who cannot read private temporary
        # directories; a real deployment runs under /etc/nginx/nginx.conf's user instead.
        lines.append("user root;")
    if brotli:
        lines.append(f"load_module {BROTLI_MODULE};")
    temp = {
        name: prefix / "tmp" / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    }
    lines += [
        "events {",
        "    worker_connections 4096;",
        "}",
        "http {",
        f"    include {MIME_TYPES};",
        "    default_type application/octet-stream;",
        "    sendfile on;",
        "    tcp_nopush on;",
        "    types_hash_max_size 2048;",
        "    access_log off;",
        *(f"    {name}_temp_path {path};" for name, path in temp.items()),
        f"    include {Path(site_conf).resolve()};",
        "}",
    ]
    for path in temp.values():
        path.mkdir(parents=True, exist_ok=True)
    return "\n".join(lines) + "\n"


def write_standalone(
    prefix: Path | str, *, workers: int | str = "auto", brotli: bool | None = None, **site
) -> Path:
    """Write ``prefix``/gazette.conf and ``prefix``/nginx.conf; return the latter."""
    prefix = Path(prefix)
    prefix.mkdir(parents=True, exist_ok=True)
    if brotli is None:
        brotli = BROTLI_MODULE.exists()
    site_conf = prefix / "gazette.conf"
    site_conf.write_text(render_site(brotli=brotli, **site))
    conf = prefix / "nginx.conf"
    conf.write_text(standalone_config(prefix, site_conf=site_conf, workers=workers, brotli=brotli))
    return conf


def _directory(path: Path | str) -> str:
    return str(Path(path).resolve()).rstrip("/")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    data = Path(os.environ.get("GAZETTE_DATA_DIR", "var"))
    parser.add_argument(
        "--data-dir", type=Path, default=data, help="GAZETTE_DATA_DIR (default: %(default)s)"
    )
    for option, variable, default in [
        ("--store-dir", "GAZETTE_STORE_DIR", "store"),
        ("--static-root", "GAZETTE_STATIC_ROOT", "static"),
        ("--media-root", "GAZETTE_MEDIA_ROOT", "media"),
    ]:
        parser.add_argument(option, type=Path, help=f"default: {variable} or DATA/{default}")
    parser.add_argument("--upstream-port", type=int, default=int(os.environ.get("PORT", "8001")))
    parser.add_argument("--listen", default="80", help="port, or address:port (default: 80)")
    parser.add_argument("--server-name", default="_")
    parser.add_argument("--admin-path", default=os.environ.get("GAZETTE_ADMIN_PATH", "admin"))
    parser.add_argument(
        "--onion-origin", default="", help="for Onion-Location, e.g. http://<56 chars>.onion"
    )
    parser.add_argument("--no-brotli", action="store_true", help="no brotli_static module")
    parser.add_argument("--standalone", type=Path, metavar="DIR", help="write a runnable DIR")
    parser.add_argument("--workers", default="auto", help="worker_processes for --standalone")
    args = parser.parse_args(argv)

    def pick(given, variable, default):
        return given or Path(os.environ.get(variable) or args.data_dir / default)

    site = {
        "store_dir": pick(args.store_dir, "GAZETTE_STORE_DIR", "store"),
        "static_root": pick(args.static_root, "GAZETTE_STATIC_ROOT", "static"),
        "media_root": pick(args.media_root, "GAZETTE_MEDIA_ROOT", "media"),
        "upstream_port": args.upstream_port,
        "listen": args.listen,
        "server_name": args.server_name,
        "admin_path": args.admin_path,
        "onion_origin": args.onion_origin,
    }
    if args.standalone:
        conf = write_standalone(
            args.standalone, workers=args.workers, brotli=not args.no_brotli, **site
        )
        print(f"nginx -p {conf.parent} -c {conf} -e {conf.parent / 'error.log'}")  # noqa: T201
    else:
        sys.stdout.write(render_site(brotli=not args.no_brotli, **site))


if __name__ == "__main__":
    main()
