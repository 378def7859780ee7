"""The nginx recipe sends HSTS on stored pages over HTTPS, as the read path does, and never on
an onion host (or over plain HTTP)."""

import datetime
import http.client
import ssl
import subprocess
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.deploy.test_nginx_recipe import nginx_binary, render_nginx, stop  # noqa: F401
from tests.workers import free_port

HSTS = "max-age=31536000; includeSubDomains"
ONION = "l" * 56 + ".onion"


def self_signed(directory) -> tuple:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lantern.example")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert, key_file = directory / "cert.pem", directory / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, key_file


def get(port: int, host: str, *, tls: bool):
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=context)
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/news/x/", headers={"Host": host})
        response = connection.getresponse()
        response.read()
        return response.status, response.headers
    finally:
        connection.close()


def test_hsts_over_https_but_not_on_onion_hosts_or_plain_http(nginx_binary, tmp_path):  # noqa: F811
    store = tmp_path / "store"
    (store / "news" / "x").mkdir(parents=True)
    (store / "news" / "x" / "index.html").write_text("<p>x</p>\n")
    plain, secure = free_port(), free_port()
    prefix = tmp_path / "nginx"
    brotli = render_nginx.BROTLI_MODULE.exists()
    conf = render_nginx.write_standalone(
        prefix,
        workers=1,
        store_dir=store,
        static_root=tmp_path,
        media_root=tmp_path,
        upstream_port=free_port(),
        listen=f"127.0.0.1:{plain}",
        brotli=brotli,
    )
    cert, key = self_signed(tmp_path)
    site_conf = prefix / "gazette.conf"
    text = site_conf.read_text().replace(
        f"listen 127.0.0.1:{plain};",
        f"listen 127.0.0.1:{plain};\n    listen 127.0.0.1:{secure} ssl;\n"
        f"    ssl_certificate {cert};\n    ssl_certificate_key {key};",
    )
    site_conf.write_text(text)
    process = subprocess.Popen(
        [nginx_binary, "-p", prefix, "-c", conf, "-e", prefix / "error.log"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for _ in range(100):  # until nginx listens
            try:
                get(plain, "lantern.example", tls=False)
                break
            except OSError:
                assert process.poll() is None, (prefix / "error.log").read_text()
                time.sleep(0.1)
        status, headers = get(secure, "lantern.example", tls=True)
        assert status == 200 and headers.get_all("Strict-Transport-Security") == [HSTS]
        status, headers = get(secure, ONION, tls=True)
        assert status == 200 and "Strict-Transport-Security" not in headers
        status, headers = get(plain, "lantern.example", tls=False)
        assert status == 200 and "Strict-Transport-Security" not in headers
        assert headers["X-Frame-Options"] == "DENY"  # the other headers as before
    finally:
        stop(process, 15)
