"""A stand-in for the AWS IoT credential provider, and a launcher for `credvend tes`.

PKI: a test CA, a server certificate for 127.0.0.1 and a device (client) certificate
whose CN is the thing name, all made here with `cryptography`, plus a second CA that
trusts nothing of this set (for the wrong --rootca case).

FakeIoTProvider serves `GET /role-aliases/<alias>/credentials` over HTTPS on 127.0.0.1
and requires a client certificate signed by the test CA, so a client without one is
refused in the TLS handshake. Like the real provider it answers 404 for an unknown role
alias and 403 when `x-amzn-iot-thingname` is not the thing the certificate belongs to.
"""
from __future__ import annotations

import datetime
import ipaddress
import json
import re
import socket
import ssl
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conftest import BIN
from e2elib import LISTEN_RE, http, reply, settled_log, wait_for_log

THING = "thing-01"
ROLE_ALIAS = "device-role-alias"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _pem_cert(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


class PKI:
    """Files: ca.pem, other-ca.pem, server.pem/.key, device.pem/.key, other.key (matches nothing)."""

    def __init__(self, directory: Path):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        now = datetime.datetime.now(datetime.timezone.utc)
        self._valid = (now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=2))
        ca_key, ca = self._ca("credvend test IoT CA")
        _, other_ca = self._ca("credvend unrelated CA")
        self._write("ca.pem", _pem_cert(ca))
        self._write("other-ca.pem", _pem_cert(other_ca))
        server_key = ec.generate_private_key(ec.SECP256R1())
        server = self._leaf(ca, ca_key, server_key, "127.0.0.1", ExtendedKeyUsageOID.SERVER_AUTH,
                            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]))
        self._write("server.pem", _pem_cert(server))
        self._write("server.key", _pem_key(server_key))
        device_key = ec.generate_private_key(ec.SECP256R1())
        device = self._leaf(ca, ca_key, device_key, THING, ExtendedKeyUsageOID.CLIENT_AUTH)
        self._write("device.pem", _pem_cert(device))
        self._write("device.key", _pem_key(device_key))
        self._write("other.key", _pem_key(ec.generate_private_key(ec.SECP256R1())))

    def path(self, name: str) -> str:
        return str(self.dir / name)

    def _write(self, name: str, data: bytes):
        (self.dir / name).write_bytes(data)

    def _ca(self, cn: str):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(self._valid[0]).not_valid_after(self._valid[1])
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                             crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
                .sign(key, hashes.SHA256()))
        return key, cert

    def _leaf(self, ca, ca_key, key, cn: str, usage, san=None):
        builder = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca.subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(self._valid[0]).not_valid_after(self._valid[1])
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([usage]), critical=False))
        if san is not None:
            builder = builder.add_extension(san, critical=False)
        return builder.sign(ca_key, hashes.SHA256())


def iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class FakeIoTProvider:
    """The IoT credential provider on https://127.0.0.1:PORT. `down()` closes the listening
    socket (connections refused) and `up()` opens it again on the same port. `issue(lifetime)`
    makes the credentials of one success; by default made-up ones living `lifetime` seconds."""

    def __init__(self, pki: PKI, lifetime: float = 3600, issue=None):
        self.pki = pki
        self.lifetime = lifetime
        self.issue = issue or self._made_up
        self.calls: list[dict] = []  # time, path, thing header, client CN, status
        self.issued: list[dict] = []  # the "credentials" objects of each 200, in order
        self.lock = threading.Lock()
        self.port = 0
        self.srv = None
        self.up()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def successes(self) -> list[dict]:
        with self.lock:
            return [c for c in self.calls if c["status"] == 200]

    @staticmethod
    def _made_up(lifetime: float) -> dict:
        return {"accessKeyId": "ASIA" + uuid.uuid4().hex[:16].upper(),
                "secretAccessKey": "fake-iot-secret-" + uuid.uuid4().hex,
                "sessionToken": "fake-iot-session-" + uuid.uuid4().hex,
                "expiration": iso(time.time() + lifetime)}

    def answer(self, path: str, thing: str | None, client_cn: str | None) -> tuple[int, dict]:
        m = re.fullmatch(r"/role-aliases/([^/]+)/credentials", path)
        if not m or m.group(1) != ROLE_ALIAS:
            return 404, {"message": "Role alias does not exist"}
        if thing is None:
            return 400, {"message": "Invalid thing name passed"}
        if thing != client_cn:
            return 403, {"message": "Access Denied"}
        creds = self.issue(self.lifetime)
        with self.lock:
            self.issued.append(creds)
        return 200, {"credentials": creds}

    def up(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                subject = dict(x[0] for x in self.connection.getpeercert()["subject"])
                thing = self.headers.get("x-amzn-iot-thingname")
                status, doc = provider.answer(self.path, thing, subject.get("commonName"))
                with provider.lock:
                    provider.calls.append({"time": time.time(), "path": self.path, "thing": thing,
                                           "client": subject.get("commonName"), "status": status})
                body = json.dumps(doc).encode()
                reply(self, status, body,
                      headers={"x-amzn-ErrorType": "AccessDeniedException"} if status == 403 else None)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True
            open_connections: set = set()

            def process_request(self, request, client_address):
                self.open_connections.add(request)
                super().process_request(request, client_address)

            def shutdown_request(self, request):
                self.open_connections.discard(request)
                super().shutdown_request(request)

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.pki.path("server.pem"), self.pki.path("server.key"))
        context.load_verify_locations(self.pki.path("ca.pem"))
        context.verify_mode = ssl.CERT_REQUIRED
        srv = Server(("127.0.0.1", self.port), Handler)
        srv.socket = context.wrap_socket(srv.socket, server_side=True)
        self.port = srv.server_address[1]
        self.srv = srv
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    def down(self):
        """Stops listening and breaks open (keep-alive) connections: a real outage."""
        if self.srv is not None:
            self.srv.shutdown()
            self.srv.server_close()
            for conn in list(self.srv.open_connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.srv = None

    close = down


CREDS_PATH = "/2016-11-01/credentialprovider/"


class Tes:
    """`credvend tes` against a FakeIoTProvider, listening on a free loopback port."""

    def __init__(self, procs, tmp: Path, pki: PKI, provider: FakeIoTProvider, args: list[str] | None = None,
                 refresh_buffer: int = 900, token_file: Path | None = None):
        self.token_file = token_file or tmp / f"tes-token-{uuid.uuid4().hex[:6]}"
        self.cmd = [BIN, "tes", "-e", provider.endpoint, "-r", pki.path("ca.pem"), "-c", pki.path("device.pem"),
                    "-k", pki.path("device.key"), "--role-alias", ROLE_ALIAS, "--thing-name", THING,
                    "--listen", "127.0.0.1:0", "--authz-token-file", str(self.token_file),
                    "--refresh-buffer", str(refresh_buffer)]
        self.cmd = override(self.cmd, args or [])
        self.proc = procs.start(self.cmd, name="tes")
        m = wait_for_log(self.proc.log_path, LISTEN_RE, timeout=15, proc=self.proc)
        self.port = int(m.group(2))
        self.url = f"http://127.0.0.1:{self.port}{CREDS_PATH}"
        self.token = self.token_file.read_text().strip()

    def log(self) -> str:
        return settled_log(self.proc.log_path)

    def get(self, token: str | None = "", path: str = CREDS_PATH):
        headers = {} if token is None else {"Authorization": token or self.token}
        return http(f"http://127.0.0.1:{self.port}{path}", headers=headers, timeout=5)

    def wait_for_credentials(self, timeout: float = 10.0, not_key: str | None = None) -> dict:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.get()
            if last[0] == 200 and last[2]["AccessKeyId"] != not_key:
                return last[2]
            time.sleep(0.1)
        raise TimeoutError(f"no credentials from credvend tes: {last}\n{self.log()}")


def override(cmd: list[str], args: list[str]) -> list[str]:
    """`cmd` with each `--flag value` of `args` replacing the same flag (or its short form)."""
    short = {"--endpoint": "-e", "--rootca": "-r", "--cert": "-c", "--key": "-k"}
    out = list(cmd)
    i = 0
    while i < len(args):
        flag, value = args[i], args[i + 1]
        names = {flag, short.get(flag, flag)}
        for j in range(len(out) - 1):
            if out[j] in names:
                out[j + 1] = value
                break
        else:
            out += [flag, value]
        i += 2
    return out
