"""Certificates made on the fly with the `openssl` command, and TLS clients for
end-to-end tests. Reusable: a CA issues server and client certificates with any
validity window (expired, not yet valid), so every (m)TLS test builds its own PKI.

    ca = CA(tmp_path, "Test CA")
    server = ca.server("localhost")                # SAN DNS:localhost, IP:127.0.0.1
    client = ca.client("device-1")                 # extendedKeyUsage clientAuth
    old = ca.client("old", days=(-30, -1))         # expired yesterday
    ctx = client_context(ca, client)               # ssl.SSLContext trusting ca, presenting client
"""
from __future__ import annotations

import base64
import datetime
import hashlib
import json
import socket
import ssl
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path


def _openssl(*args: str, cwd: Path | None = None) -> None:
    r = subprocess.run(["openssl", *args], capture_output=True, text=True, cwd=cwd, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed:\n{r.stderr}")


def _stamp(days: float) -> str:
    """An `openssl ca` date (UTC, YYYYMMDDHHMMSSZ) `days` from now."""
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
    return t.strftime("%Y%m%d%H%M%SZ")


@dataclass
class Cert:
    """A certificate and its key (mode 0600) on disk."""
    name: str
    cert: Path
    key: Path

    @property
    def der(self) -> bytes:
        return ssl.PEM_cert_to_DER_cert(self.cert.read_text())

    @property
    def thumbprint(self) -> str:
        """RFC 8705 `x5t#S256`: base64url (no padding) of the SHA-256 of the DER."""
        return base64.urlsafe_b64encode(hashlib.sha256(self.der).digest()).rstrip(b"=").decode()

    @property
    def sha256_hex(self) -> str:
        return hashlib.sha256(self.der).hexdigest()


class CA:
    """A self-signed CA (EC P-256) in its own directory, issuing leaf certificates
    through `openssl ca`, which takes explicit start and end dates."""

    def __init__(self, directory: Path, name: str = "credvend test CA"):
        self.dir = Path(directory) / name.replace(" ", "-")
        self.dir.mkdir(parents=True)
        (self.dir / "new").mkdir()
        (self.dir / "index.txt").write_text("")
        (self.dir / "serial").write_text("1000\n")
        (self.dir / "ca.cnf").write_text(
            "[ca]\ndefault_ca = d\n[d]\n"
            f"dir = {self.dir}\ndatabase = $dir/index.txt\nnew_certs_dir = $dir/new\nserial = $dir/serial\n"
            "default_md = sha256\npolicy = p\nunique_subject = no\nemail_in_dn = no\n"
            "[p]\norganizationName = optional\ncommonName = supplied\n")
        self.name = name
        key = self.dir / "ca.key"
        cert = self.dir / "ca.pem"
        _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(key))
        ext = self.dir / "ca.ext"
        ext.write_text("[v3_ca]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\n"
                       "subjectKeyIdentifier = hash\n")
        _openssl("req", "-x509", "-new", "-key", str(key), "-subj", f"/O=credvend tests/CN={name}", "-days", "30",
                 "-sha256", "-config", str(ext), "-extensions", "v3_ca", "-out", str(cert))
        self.ca = Cert(name, cert, key)
        self.cert = cert

    def issue(self, cn: str, *, usage: str, san: str | None = None, days: tuple[float, float] = (-1, 30),
              key_type: str = "ec", file_name: str | None = None) -> Cert:
        """A leaf for `usage` (serverAuth or clientAuth) valid from days[0] to days[1] from now."""
        base = self.dir / (file_name or cn.replace(" ", "-"))
        key, csr, cert, ext = (base.with_suffix(s) for s in (".key", ".csr", ".pem", ".ext"))
        if key_type == "rsa":
            _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(key))
        else:
            _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(key))
        key.chmod(0o600)
        _openssl("req", "-new", "-key", str(key), "-subj", f"/O=credvend tests/CN={cn}", "-out", str(csr))
        lines = ["basicConstraints = critical, CA:FALSE", "keyUsage = critical, digitalSignature",
                 f"extendedKeyUsage = {usage}", "subjectKeyIdentifier = hash",
                 "authorityKeyIdentifier = keyid"]
        if san:
            lines.append(f"subjectAltName = {san}")
        ext.write_text("\n".join(lines) + "\n")
        _openssl("ca", "-batch", "-config", str(self.dir / "ca.cnf"), "-cert", str(self.ca.cert),
                 "-keyfile", str(self.ca.key), "-in", str(csr), "-out", str(cert), "-notext",
                 "-startdate", _stamp(days[0]), "-enddate", _stamp(days[1]), "-extfile", str(ext))
        return Cert(cn, cert, key)

    def server(self, cn: str = "localhost", **kw) -> Cert:
        return self.issue(cn, usage="serverAuth", san="DNS:localhost, IP:127.0.0.1", **kw)

    def client(self, cn: str, **kw) -> Cert:
        return self.issue(cn, usage="clientAuth", **kw)


def client_context(ca: CA | None = None, client: Cert | None = None, *, minimum=None, maximum=None,
                   ciphers: str | None = None) -> ssl.SSLContext:
    """A client context that trusts `ca` (verifying the server's name) and presents `client`."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca is not None:
        ctx.load_verify_locations(cafile=str(ca.cert))
    if client is not None:
        ctx.load_cert_chain(str(client.cert), str(client.key))
    if minimum is not None:
        ctx.minimum_version = minimum
    if maximum is not None:
        ctx.maximum_version = maximum
    if ciphers is not None:
        ctx.set_ciphers(ciphers)
    return ctx


def https(url: str, ctx: ssl.SSLContext, method="GET", body: bytes | None = None,
          headers: dict | None = None, timeout=30):
    """(status, headers, parsed JSON or text) over HTTPS with `ctx`."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=ctx) as r:
            status, hdrs, data = r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        status, hdrs, data = e.code, dict(e.headers), e.read()
    try:
        return status, hdrs, json.loads(data)
    except ValueError:
        return status, hdrs, data.decode(errors="replace")


def served_certificate(port: int, host: str = "127.0.0.1") -> bytes:
    """The DER of the certificate the server presents on a new connection (not verified)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            return s.getpeercert(binary_form=True)


def tls_args(server: Cert, ca: CA | None = None, mode: str | None = None) -> list[str]:
    """`credvend serve` flags for HTTPS (and mTLS against `ca`)."""
    args = ["--tls-cert", str(server.cert), "--tls-key", str(server.key)]
    if ca is not None:
        args += ["--client-ca", str(ca.cert)]
    if mode is not None:
        args += ["--client-cert", mode]
    return args


def metric(text: str, name: str, **labels) -> int:
    """The value of one sample in a Prometheus text body (0 when absent)."""
    want = name + ("{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}" if labels else "")
    for line in text.splitlines():
        if line.startswith(want + " "):
            return int(float(line.split()[-1]))
    return 0


class TLSServe:
    """`credvend serve` over HTTPS on a free loopback port (e2elib.Serve with TLS flags):
    `ctx` is a client context trusting `ca` (presenting `client` for mTLS)."""

    def __init__(self, procs, tmp: Path, issuer_url: str, sts_url: str, ca: CA, server: Cert,
                 roles: list[dict] | None = None, client_ca: CA | None = None, mode: str | None = None,
                 client: Cert | None = None, args: list[str] | None = None, env: dict | None = None,
                 wait_ready: bool = True):
        from e2elib import Serve
        self.ca, self.client = ca, client
        self.serve = Serve(procs, tmp, issuer_url, sts_url, roles, args=tls_args(server, client_ca, mode)
                           + (args or []), env=env, wait_ready=False)
        self.proc, self.port = self.serve.proc, self.serve.port
        self.url = f"https://localhost:{self.port}"
        self.ctx = client_context(ca, client)
        if wait_ready:
            self.wait_ready()

    def log(self) -> str:
        return self.serve.log()

    def get(self, path: str, ctx: ssl.SSLContext | None = None):
        return https(self.url + path, ctx or self.ctx)

    def wait_ready(self, timeout=20.0):
        import time
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.get("/readyz")[0] == 200:
                return
            time.sleep(0.1)
        raise TimeoutError("server never ready:\n" + self.log())

    def handshakes(self, outcome: str, ctx: ssl.SSLContext | None = None) -> int:
        """credvend_tls_handshakes_total{outcome} as of before this request's own handshake."""
        st, _, body = self.get("/metrics", ctx)
        assert st == 200, body
        n = metric(body, "credvend_tls_handshakes_total", outcome=outcome)
        return n - 1 if outcome == "ok" else n

    def wait_handshakes(self, outcome: str, n: int, timeout: float = 5.0) -> int:
        """Polls until the count reaches `n` (a failed handshake is counted when the server
        closes the connection, which the client may see first); returns the last count."""
        import time
        deadline = time.monotonic() + timeout
        while True:
            seen = self.handshakes(outcome)
            if seen >= n or time.monotonic() > deadline:
                return seen
            time.sleep(0.05)
