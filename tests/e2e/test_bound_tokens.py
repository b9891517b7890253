"""Certificate-bound access tokens (RFC 8705 section 3) end to end, with the real binary:
`serve --require-bound-tokens`, dev-idp's `--bind-tokens` and `mint --cnf-cert`, and the
client commands' TLS settings (CREDVEND_CA_FILE, CREDVEND_CLIENT_CERT, CREDVEND_CLIENT_KEY)
against a real TLS peer. Certificates are made on the fly by openssl (tlslib.CA).

The tests marked `needs_tls_listener` run `credvend serve` (and dev-idp) with
--tls-cert/--tls-key/--client-ca; they are skipped by a binary whose listener has no TLS."""
from __future__ import annotations

import base64
import hashlib
import json
import re
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from clientlib import CLIENTS, base_env, cognito_env, fake_credentials, get_credentials, run_client
from conftest import BIN
from e2elib import ACCOUNT, LISTEN_RE, Serve, reply, role, run_cli, wait_for_log
from tlslib import CA, Cert, openssl, client_context

ARN = f"arn:aws:iam::{ACCOUNT}:role/app-a"
FAKE_SRC = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLESOURCE", "AWS_SECRET_ACCESS_KEY": "source-secret-do-not-log"}


def _listener_speaks_tls() -> bool:
    r = subprocess.run([BIN, "serve", "--help"], capture_output=True, text=True, timeout=30)
    return "--tls-cert" in r.stdout


needs_tls_listener = pytest.mark.skipif(not _listener_speaks_tls(),
                                        reason="this credvend's listener has no TLS (--tls-cert)")


# --- certificates (tests/e2e/tlslib.py) -------------------------------------------

@pytest.fixture
def pki(tmp_path):
    ca = CA(tmp_path, "bound-test-ca")
    return ca, ca.server(), ca.client("device-a"), ca.client("device-b")


def payload(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def post(url: str, body: bytes, ctx: ssl.SSLContext | None = None, headers: dict | None = None):
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers=headers or {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30, context=ctx) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def vend(url: str, token: str, ctx: ssl.SSLContext | None = None):
    return post(url + "/v1/credentials", json.dumps({"access_token": token}).encode(), ctx)


# --- over plain HTTP: refusals that need no TLS listener -----------------------------

def test_a_bound_token_over_plain_http_is_refused(procs, tmp_path, issuer, sts, pki):
    _, _, device_a, _ = pki
    srv = Serve(procs, tmp_path, issuer.url, sts.url, [role("client-a", ARN)], env=FAKE_SRC)
    st, body = vend(srv.url, issuer.mint("client-a", cnf={"x5t#S256": device_a.thumbprint}))
    assert st == 401 and body["error"] == "invalid_token"
    assert "plain HTTP" in body["message"]
    st, body = vend(srv.url, issuer.mint("client-a", cnf={"x5t#S256": "not-a-thumbprint"}))
    assert st == 401 and "cnf" in body["message"]
    assert vend(srv.url, issuer.mint("client-a"))[0] == 200  # unbound tokens still work without the flag


@pytest.mark.parametrize("how", ["flag", "env"])
def test_require_bound_tokens_refuses_an_unbound_token(procs, tmp_path, issuer, sts, how):
    args, env = (["--require-bound-tokens"], FAKE_SRC) if how == "flag" else \
        ([], {**FAKE_SRC, "CREDVEND_REQUIRE_BOUND_TOKENS": "1"})
    srv = Serve(procs, tmp_path, issuer.url, sts.url, [role("client-a", ARN)], args=args, env=env)
    st, body = vend(srv.url, issuer.mint("client-a"))
    assert st == 401 and body["error"] == "invalid_token"
    assert "only certificate-bound tokens" in body["message"]
    assert "client_cert" not in srv.log()


def test_a_bad_require_bound_tokens_value_is_refused_at_start(tmp_path):
    r = subprocess.run([BIN, "serve", "--issuer", "http://127.0.0.1:1", "--db", str(tmp_path / "db")],
                       env={**base_env(tmp_path), "CREDVEND_REQUIRE_BOUND_TOKENS": "maybe"},
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "CREDVEND_REQUIRE_BOUND_TOKENS" in r.stderr


# --- dev-idp ----------------------------------------------------------------------

def test_mint_cnf_cert_binds_the_token_to_the_pem_certificate(tmp_path, pki):
    _, _, device_a, _ = pki
    key = tmp_path / "idp-key.pem"
    r = run_cli("dev-idp", "mint", "--key", str(key), "--client-id", "client-a", "--issuer", "http://x")
    assert r.returncode != 0 and "does not exist" in r.stderr
    _make_idp_key(key)
    r = run_cli("dev-idp", "mint", "--key", str(key), "--client-id", "client-a", "--issuer", "http://x",
                "--cnf-cert", str(device_a.cert))
    assert r.returncode == 0, r.stderr
    der_sha = subprocess.run(f"openssl x509 -in {device_a.cert} -outform DER | openssl dgst -sha256 -binary",
                             shell=True, capture_output=True, timeout=30).stdout
    expected = base64.urlsafe_b64encode(der_sha).rstrip(b"=").decode()
    assert payload(r.stdout.strip())["cnf"] == {"x5t#S256": expected} == {"x5t#S256": device_a.thumbprint}
    r = run_cli("dev-idp", "mint", "--key", str(key), "--client-id", "client-a", "--issuer", "http://x",
                "--cnf-cert", str(device_a.key))
    assert r.returncode != 0 and "certificate" in r.stderr.lower()


def _make_idp_key(path: Path) -> None:
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(path), cwd=path.parent)
    path.chmod(0o600)


@pytest.mark.parametrize("args,message", [
    (["--bind-tokens"], "--bind-tokens needs --client-ca"),
    (["--tls-cert", "c.pem"], "--tls-cert and --tls-key go together"),
    (["--client-ca", "ca.pem"], "--client-ca needs --tls-cert"),
])
def test_dev_idp_tls_flags_are_checked(tmp_path, args, message):
    clients = tmp_path / "clients.json"
    clients.write_text(json.dumps(CLIENTS))
    r = run_cli("dev-idp", "--listen", "127.0.0.1:0", "--clients", str(clients), *args, timeout=30)
    assert r.returncode != 0, r
    assert message in r.stderr


# --- the client side against a real TLS peer -----------------------------------------

class MutualTLSPeer:
    """A token endpoint and a vending endpoint on one HTTPS listener that requires a client
    certificate from `ca`; it records the certificate's CN per path."""

    def __init__(self, ca: CA, server: Cert):
        self.seen: list[tuple[str, str]] = []
        peer = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                subject = dict(x[0] for x in self.connection.getpeercert()["subject"])
                peer.seen.append((self.path, subject["commonName"]))
                if self.path == "/oauth2/token":
                    reply(self, 200, json.dumps({"access_token": "e30.e30.sig", "token_type": "Bearer",
                                                 "expires_in": 3600}).encode())
                else:
                    reply(self, 200, json.dumps(fake_credentials(len(peer.seen))).encode())

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(server.cert), str(server.key))
        ctx.load_verify_locations(str(ca.cert))
        ctx.verify_mode = ssl.CERT_REQUIRED
        self.srv.socket = ctx.wrap_socket(self.srv.socket, server_side=True)
        self.port = self.srv.server_address[1]
        self.url = f"https://localhost:{self.port}"
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()


@pytest.fixture
def mtls_peer(pki):
    ca, server, _, _ = pki
    p = MutualTLSPeer(ca, server)
    yield p
    p.close()


def test_get_credentials_trusts_the_ca_file_and_presents_the_client_certificate(tmp_path, pki, mtls_peer):
    ca, _, device_a, _ = pki
    env = cognito_env(tmp_path, mtls_peer.url, mtls_peer.url + "/v1/credentials",
                      CREDVEND_CA_FILE=str(ca.cert), CREDVEND_CLIENT_CERT=str(device_a.cert),
                      CREDVEND_CLIENT_KEY=str(device_a.key))
    r = get_credentials(env, "--no-cache")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["AccessKeyId"].startswith("ASIAFAKE")
    assert mtls_peer.seen == [("/oauth2/token", "device-a"), ("/v1/credentials", "device-a")]


def test_the_flags_do_what_the_variables_do(tmp_path, pki, mtls_peer):
    ca, _, _, device_b = pki
    env = cognito_env(tmp_path, mtls_peer.url, mtls_peer.url + "/v1/credentials")
    r = get_credentials(env, "--no-cache", "--ca-file", str(ca.cert), "--client-cert", str(device_b.cert),
                        "--client-key", str(device_b.key))
    assert r.returncode == 0, r.stderr
    assert [cn for _, cn in mtls_peer.seen] == ["device-b", "device-b"]


def test_without_the_ca_file_or_the_certificate_the_peer_is_not_reached(tmp_path, pki, mtls_peer):
    ca, _, device_a, _ = pki
    untrusted = cognito_env(tmp_path, mtls_peer.url, mtls_peer.url + "/v1/credentials",
                            CREDVEND_CLIENT_CERT=str(device_a.cert), CREDVEND_CLIENT_KEY=str(device_a.key))
    r = get_credentials(untrusted, "--no-cache")
    assert r.returncode != 0 and "certificate" in r.stderr.lower(), r.stderr  # the system store does not know it
    anonymous = cognito_env(tmp_path, mtls_peer.url, mtls_peer.url + "/v1/credentials",
                            CREDVEND_CA_FILE=str(ca.cert))
    assert get_credentials(anonymous, "--no-cache").returncode != 0
    assert mtls_peer.seen == []


def test_the_tls_files_are_checked_before_any_request(tmp_path, pki, mtls_peer):
    ca, _, device_a, device_b = pki
    base = cognito_env(tmp_path, mtls_peer.url, mtls_peer.url + "/v1/credentials", CREDVEND_CA_FILE=str(ca.cert))
    for extra, message in [
        ({"CREDVEND_CLIENT_CERT": str(device_a.cert), "CREDVEND_CLIENT_KEY": str(device_b.key)},
         "does not match the certificate"),
        ({"CREDVEND_CLIENT_KEY": str(device_a.key)}, "CREDVEND_CLIENT_KEY (--client-key) needs"),
        ({"CREDVEND_CA_FILE": str(tmp_path / "missing.pem")}, "CREDVEND_CA_FILE (--ca-file)"),
    ]:
        r = get_credentials({**base, **extra}, "--no-cache")
        assert r.returncode == 2 and message in r.stderr, r.stderr
    for command in ("token-daemon", "credential-daemon"):
        r = run_client(base, command, "--help")
        assert all(flag in r.stdout for flag in ("--ca-file", "--client-cert", "--client-key")), r.stdout
    assert mtls_peer.seen == []


# --- over the TLS listener (the server's own HTTPS and mTLS) -------------------------

def start_tls_serve(procs, tmp_path, issuer_url, sts_url, pki, args=()):
    """`credvend serve` over mutual TLS against the test CA, ready (its JWKS loaded)."""
    ca, server, device_a, _ = pki
    audit = tmp_path / "audit.log"
    srv = Serve(procs, tmp_path, issuer_url, sts_url, [role("client-a", ARN)], env=FAKE_SRC, wait_ready=False,
                args=["--tls-cert", str(server.cert), "--tls-key", str(server.key), "--client-ca", str(ca.cert),
                      "--audit-log", str(audit), *args])
    srv.url = f"https://localhost:{srv.port}"
    srv.audit = audit
    ctx = client_context(ca, device_a)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(srv.url + "/readyz", timeout=5, context=ctx) as r:
                if r.status == 200:
                    return srv
        except (OSError, urllib.error.HTTPError):
            pass
        time.sleep(0.1)
    raise TimeoutError("serve over TLS never ready:\n" + srv.log())


@needs_tls_listener
def test_a_bound_token_is_served_over_its_certificate_only(procs, tmp_path, issuer, sts, pki):
    ca, _, device_a, device_b = pki
    srv = start_tls_serve(procs, tmp_path, issuer.url, sts.url, pki)
    token = issuer.mint("client-a", cnf={"x5t#S256": device_a.thumbprint})
    st, body = vend(srv.url, token, client_context(ca, device_a))
    assert st == 200, body
    st, body = vend(srv.url, token, client_context(ca, device_b))  # a stolen token, another valid certificate
    assert st == 401 and body["error"] == "invalid_token" and "different client certificate" in body["message"]
    assert vend(srv.url, token, client_context(ca, device_a))[0] == 200
    log = srv.log()
    assert f"cert_sha256={device_a.thumbprint}" in log and f"cert_sha256={device_b.thumbprint}" in log
    assert re.search(r"cert_subject=\S*CN=device-b", log), log
    records = [json.loads(line) for line in srv.audit.read_text().splitlines()]
    assert [r["status"] for r in records] == [200, 401, 200]
    assert records[1]["client_cert_sha256"] == device_b.thumbprint
    assert "device-b" in records[1]["client_cert_subject"]


@needs_tls_listener
def test_require_bound_tokens_over_mtls(procs, tmp_path, issuer, sts, pki):
    ca, _, device_a, _ = pki
    srv = start_tls_serve(procs, tmp_path, issuer.url, sts.url, pki, args=["--require-bound-tokens"])
    st, body = vend(srv.url, issuer.mint("client-a"), client_context(ca, device_a))
    assert st == 401 and "only certificate-bound tokens" in body["message"]
    assert vend(srv.url, issuer.mint("client-a", cnf={"x5t#S256": device_a.thumbprint}), client_context(ca, device_a))[0] == 200


@needs_tls_listener
def test_the_whole_flow_over_mtls_with_dev_idp_binding_tokens(procs, tmp_path, sts, pki):
    """dev-idp over mTLS binds each token to the certificate it was fetched with; serve over
    mTLS serves it to that certificate; get-credentials does both with CREDVEND_* settings;
    the token replayed from another certificate is refused."""
    ca, server, device_a, device_b = pki
    clients = tmp_path / "clients.json"
    clients.write_text(json.dumps(CLIENTS))
    idp = procs.start([BIN, "dev-idp", "--listen", "127.0.0.1:0", "--clients", str(clients), "--tls-cert",
                       str(server.cert), "--tls-key", str(server.key), "--client-ca", str(ca.cert), "--bind-tokens"],
                      name="idp")
    idp_port = int(wait_for_log(idp.log_path, LISTEN_RE, proc=idp).group(2))
    # The JWKS, fetched over mTLS (every dev-idp connection needs a certificate here), goes
    # to serve as a file; the issuer is the URL dev-idp puts in `iss`.
    with urllib.request.urlopen(f"https://localhost:{idp_port}/.well-known/jwks.json", timeout=10,
                                context=client_context(ca, device_a)) as r:
        (tmp_path / "jwks.json").write_bytes(r.read())
    srv = start_tls_serve(procs, tmp_path, f"https://127.0.0.1:{idp_port}", sts.url, pki,
                          args=["--jwks-file", str(tmp_path / "jwks.json"), "--require-bound-tokens"])
    env = cognito_env(tmp_path, f"https://localhost:{idp_port}", srv.url,
                      CREDVEND_CA_FILE=str(ca.cert), CREDVEND_CLIENT_CERT=str(device_a.cert),
                      CREDVEND_CLIENT_KEY=str(device_a.key))
    r = get_credentials(env)
    assert r.returncode == 0, r.stderr + srv.log()
    assert json.loads(r.stdout)["AccessKeyId"]
    basic = base64.b64encode(f"{CLIENTS[0]['client_id']}:{CLIENTS[0]['client_secret']}".encode()).decode()
    st, body = post(f"https://localhost:{idp_port}/oauth2/token", b"grant_type=client_credentials",
                    client_context(ca, device_a), {"Authorization": "Basic " + basic,
                                            "Content-Type": "application/x-www-form-urlencoded"})
    assert st == 200 and payload(body["access_token"])["cnf"] == {"x5t#S256": device_a.thumbprint}
    st, refused = vend(srv.url, body["access_token"], client_context(ca, device_b))
    assert st == 401 and "different client certificate" in refused["message"]


@needs_tls_listener
def test_roles_admin_url_https_over_mtls(procs, tmp_path, issuer, sts, pki):
    ca, _, device_a, _ = pki
    tokens = tmp_path / "admin-tokens"
    secret = "admin-token-for-the-bound-tests-000000000"
    tokens.write_text(f"admin {hashlib.sha256(secret.encode()).hexdigest()}\n")
    tokens.chmod(0o600)
    mine = tmp_path / "my-admin-token"
    mine.write_text(secret + "\n")
    mine.chmod(0o600)
    srv = start_tls_serve(procs, tmp_path, issuer.url, sts.url, pki, args=["--admin-token-file", str(tokens)])
    r = run_cli("roles", "list", "--admin-url", srv.url, "--admin-token-file", str(mine),
                "--admin-ca", str(ca.cert), "--client-cert", str(device_a.cert), "--client-key", str(device_a.key))
    assert r.returncode == 0, r.stderr
    assert "client-a" in r.stdout
    r = run_cli("roles", "list", "--admin-url", srv.url, "--admin-token-file", str(mine),
                env={"CREDVEND_CA_FILE": str(ca.cert), "CREDVEND_CLIENT_CERT": str(device_a.cert),
                     "CREDVEND_CLIENT_KEY": str(device_a.key)})
    assert r.returncode == 0, r.stderr
    r = run_cli("roles", "list", "--admin-url", srv.url, "--admin-token-file", str(mine), "--admin-ca", str(ca.cert))
    assert r.returncode != 0  # the listener requires a client certificate
