"""Helpers for the admin-plane end-to-end tests: HTTP over a Unix socket, admin
tokens and their token file, and a TLS-terminating proxy (with its own CA) so
`credvend roles --admin-url https://...` can be tested against the real server."""
from __future__ import annotations

import datetime
import hashlib
import http.client
import ipaddress
import json
import os
import secrets
import socket
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float = 15):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


def _parse(data: bytes):
    try:
        return json.loads(data)
    except ValueError:
        return data.decode(errors="replace")


def unix_http(path: str, method: str, target: str, body=None, headers=None):
    """(status, headers, parsed JSON or text) of one request over the Unix socket."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    c = _UnixConnection(str(path))
    try:
        c.request(method, target, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), _parse(r.read())
    finally:
        c.close()


def tcp_http(port: int, method: str, target: str, body=None, token: str | None = None, headers=None):
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    h = dict(headers or {})
    if token is not None:
        h["Authorization"] = f"Bearer {token}"
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        c.request(method, target, body=body, headers=h)
        r = c.getresponse()
        return r.status, dict(r.getheaders()), _parse(r.read())
    finally:
        c.close()


def short_tmpdir() -> Path:
    """A private directory under /tmp short enough for a Unix socket path."""
    d = Path(tempfile.mkdtemp(prefix="cva-", dir="/tmp"))
    d.chmod(0o700)
    return d


def sha256_hex(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """As docs/admin.md makes them: a prefix, so a raw token pasted into the token
    file by mistake is refused as "not a SHA-256" instead of being taken for one."""
    return "cva_" + secrets.token_hex(32)


def write_private(path: Path, text: str, mode: int = 0o600) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def token_file(path: Path, entries: list[tuple[str, str]]) -> Path:
    """`ROLE SHA256HEX` lines for (role, raw token) pairs, with a comment and a blank line."""
    lines = ["# credvend admin tokens", ""] + [f"{role} {sha256_hex(tok)}  # {role}" for role, tok in entries]
    return write_private(path, "\n".join(lines) + "\n")


class TLSProxy:
    """https://127.0.0.1:PORT in front of a plain-HTTP backend, with a certificate
    from a CA made here (`ca_pem`). Forwards method, path, headers and body."""

    def __init__(self, backend_port: int, directory: Path):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        now = datetime.datetime.now(datetime.timezone.utc)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "credvend admin test CA")])
        ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
              .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
              .not_valid_after(now + datetime.timedelta(days=1))
              .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
              .sign(ca_key, hashes.SHA256()))
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
                .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                               critical=False)
                .sign(ca_key, hashes.SHA256()))
        self.ca_pem = directory / "admin-ca.pem"
        self.ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        cert_pem, key_pem = directory / "proxy.pem", directory / "proxy.key"
        cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        write_private(key_pem, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()).decode())

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _forward(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n) if n else None
                skip = {"host", "content-length", "connection"}
                headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
                c = http.client.HTTPConnection("127.0.0.1", backend_port, timeout=30)
                c.request(self.command, self.path, body=body, headers=headers)
                r = c.getresponse()
                data = r.read()
                c.close()
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() not in ("content-length", "connection", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = _forward

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(cert_pem), str(key_pem))
        self.srv.socket = ctx.wrap_socket(self.srv.socket, server_side=True)
        self.port = self.srv.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()
