"""`credvend serve` over HTTPS and mutual TLS, end to end: the real binary, real TLS
clients (curl, Python ssl, requests, openssl s_client), certificates made on the fly
by openssl (tlslib)."""
import http.client
import os
import re
import shutil
import signal
import subprocess
import time

import pytest
import requests

from adminlib import short_tmpdir, unix_http
from e2elib import ACCOUNT, BIN, FakeSTS, Serve, role, wait_for_log
from tlslib import CA, TLSServe, client_context, metric, served_certificate, tls_args

ARN = f"arn:aws:iam::{ACCOUNT}:role/app-a"
FAKE_SRC = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLESOURCE", "AWS_SECRET_ACCESS_KEY": "source-secret-do-not-log"}


@pytest.fixture
def pki(tmp_path):
    """A CA with a server certificate for localhost/127.0.0.1 and a good client certificate."""
    ca = CA(tmp_path, "Test CA")
    return ca, ca.server("localhost"), ca.client("device-1")


def refused(exchange) -> bool:
    """True when the exchange fails at the TLS or connection level (no HTTP answer)."""
    try:
        exchange()
    except (OSError, requests.exceptions.RequestException, http.client.HTTPException):
        return True
    return False


# --- HTTPS -----------------------------------------------------------------------

def test_https_with_curl_python_ssl_and_requests(procs, tmp_path, issuer, sts):
    ca = CA(tmp_path, "Test CA")
    server = ca.server("localhost", days=(-1, 10))  # expires within 14 days: a warning at start
    admin = short_tmpdir() / "admin.sock"
    srv = TLSServe(procs, tmp_path, issuer.url, sts.url, ca, server, [role("client-a", ARN)],
                   args=["--admin-socket", str(admin)], env=FAKE_SRC)
    # curl: TLS 1.3, ALPN http/1.1, verified against the CA by name.
    r = subprocess.run(["curl", "-sS", "-v", "--cacert", str(ca.cert), srv.url + "/healthz"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout == '{"status":"ok"}'
    assert "SSL connection using TLSv1.3" in r.stderr
    assert "ALPN: server accepted http/1.1" in r.stderr
    # TLS 1.2 is still accepted, with an AEAD, forward-secret suite.
    r12 = subprocess.run(["curl", "-sS", "-v", "--tlsv1.2", "--tls-max", "1.2", "--cacert", str(ca.cert),
                          srv.url + "/healthz"], capture_output=True, text=True, timeout=30)
    assert r12.returncode == 0, r12.stderr
    assert re.search(r"SSL connection using TLSv1\.2 / ECDHE-ECDSA-(AES\d+-GCM|CHACHA20)", r12.stderr), r12.stderr
    # Python ssl and requests.
    st, _, body = srv.get("/healthz")
    assert (st, body) == (200, {"status": "ok"})
    resp = requests.get(srv.url + "/readyz", verify=str(ca.cert), timeout=15)
    assert resp.status_code == 200
    # Plain HTTP on the TLS port gets no HTTP answer.
    assert refused(lambda: requests.get(f"http://127.0.0.1:{srv.port}/healthz", timeout=5))
    # /admin/v1/info: the certificate's subject and expiry; the log warns of the expiry.
    st, _, info = unix_http(admin, "GET", "/admin/v1/info")
    assert st == 200, info
    assert info["tls"]["subject"] == "CN=localhost,O=credvend tests"
    not_after = subprocess.run(["openssl", "x509", "-in", str(server.cert), "-noout", "-enddate"],
                               capture_output=True, text=True).stdout.strip().split("=", 1)[1]
    expected = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.strptime(not_after, "%b %d %H:%M:%S %Y %Z"))
    assert info["tls"]["not_after"] == expected
    m = wait_for_log(srv.proc.log_path, re.compile(r"WARNING .*TLS certificate expires within 14 days.*days_left=(\d+)"))
    assert int(m.group(1)) in (9, 10)


def test_mtls_healthz_and_credentials_from_moto(procs, tmp_path, issuer, moto, pki):
    ca, server, client = pki
    arn = moto.create_role("tls-01")
    moto.enforce_signatures()
    srv = TLSServe(procs, tmp_path, issuer.url, moto.url, ca, server, [role("client-a", arn)],
                   client_ca=ca, client=client, env=moto.source_env())
    session = requests.Session()
    session.cert = (str(client.cert), str(client.key))
    # verify per request: a session-level one loses to REQUESTS_CA_BUNDLE in the environment.
    verify = str(ca.cert)
    assert session.get(srv.url + "/healthz", verify=verify, timeout=15).json() == {"status": "ok"}
    resp = session.post(srv.url + "/v1/credentials", json={"access_token": issuer.mint("client-a")},
                        verify=verify, timeout=30)
    assert resp.status_code == 200, resp.text
    creds = resp.json()
    assert creds["AccessKeyId"] and creds["SecretAccessKey"] and creds["SessionToken"]
    # curl with the client certificate too.
    r = subprocess.run(["curl", "-sS", "--cacert", str(ca.cert), "--cert", str(client.cert), "--key",
                        str(client.key), srv.url + "/healthz"], capture_output=True, text=True, timeout=30)
    assert (r.returncode, r.stdout) == (0, '{"status":"ok"}'), r.stderr
    assert srv.handshakes("ok") >= 2


@pytest.mark.parametrize("case", ["other_ca", "expired", "not_yet_valid", "server_only", "none"])
def test_client_certificate_refused_in_the_handshake(procs, tmp_path, issuer, sts, pki, case):
    ca, server, client = pki
    bad = {
        "other_ca": lambda: CA(tmp_path, "Other CA").client("intruder"),
        "expired": lambda: ca.client("expired", days=(-30, -1)),
        "not_yet_valid": lambda: ca.client("future", days=(1, 30)),
        "server_only": lambda: ca.server("not-a-client", file_name="server-only"),  # serverAuth, not clientAuth
        "none": lambda: None,
    }[case]()
    srv = TLSServe(procs, tmp_path, issuer.url, sts.url, ca, server, [role("client-a", ARN)],
                   client_ca=ca, client=client, env=FAKE_SRC)
    outcome = "client_cert_missing" if bad is None else "client_cert_invalid"
    before = srv.handshakes(outcome)
    ctx = client_context(ca, bad)
    assert refused(lambda: srv.get("/healthz", ctx))
    cmd = ["curl", "-sS", "--cacert", str(ca.cert), srv.url + "/healthz"]
    if bad is not None:
        cmd += ["--cert", str(bad.cert), "--key", str(bad.key)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "status" not in r.stdout, r.stdout
    assert srv.handshakes(outcome) == before + 2
    # The good certificate still gets in.
    assert srv.get("/healthz")[0] == 200


def test_optional_client_certificates(procs, tmp_path, issuer, sts, pki):
    ca, server, client = pki
    srv = TLSServe(procs, tmp_path, issuer.url, sts.url, ca, server, [role("client-a", ARN)],
                   client_ca=ca, mode="optional", env=FAKE_SRC)
    assert srv.get("/healthz")[0] == 200  # no certificate
    assert srv.get("/healthz", client_context(ca, client))[0] == 200
    # A certificate that is presented must still verify.
    expired = ca.client("expired", days=(-30, -1))
    assert refused(lambda: srv.get("/healthz", client_context(ca, expired)))
    assert srv.handshakes("client_cert_invalid") == 1
    assert srv.handshakes("client_cert_missing") == 0


@pytest.mark.parametrize("version", ["-tls1", "-tls1_1"])
def test_tls_1_0_and_1_1_refused_by_the_server(procs, tmp_path, issuer, sts, pki, version):
    ca, server, _ = pki
    srv = TLSServe(procs, tmp_path, issuer.url, sts.url, ca, server, [role("client-a", ARN)], env=FAKE_SRC)

    def s_client(*args):
        # SECLEVEL=0 lets this OpenSSL offer the old versions at all: any refusal is the server's.
        return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-servername",
                               "localhost", "-CAfile", str(ca.cert), "-cipher", "DEFAULT@SECLEVEL=0", *args],
                              input="", capture_output=True, text=True, timeout=30)

    control = s_client("-tls1_2")
    assert control.returncode == 0 and "Protocol  : TLSv1.2" in control.stdout, control.stdout + control.stderr
    before = srv.handshakes("failed")
    old = s_client(version)
    assert old.returncode != 0, old.stdout
    assert "BEGIN CERTIFICATE" not in old.stdout, old.stdout
    # The server saw the ClientHello and failed the handshake (libmicrohttpd closes without an alert).
    assert srv.wait_handshakes("failed", before + 1) == before + 1


def test_no_session_resumption_skips_the_client_certificate(procs, tmp_path, issuer, sts, pki):
    """A session saved from an mTLS connection does not let a client without a certificate back in
    (the server neither caches TLS 1.2 sessions nor issues TLS 1.3 tickets)."""
    ca, server, client = pki
    srv = TLSServe(procs, tmp_path, issuer.url, sts.url, ca, server, [role("client-a", ARN)],
                   client_ca=ca, client=client, env=FAKE_SRC)
    for version in ("-tls1_2", "-tls1_3"):
        session = tmp_path / f"session{version}"
        base = ["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-servername", "localhost",
                "-CAfile", str(ca.cert), version, "-ign_eof"]
        request = "GET /healthz HTTP/1.0\r\n\r\n"
        first = subprocess.run(base + ["-cert", str(client.cert), "-key", str(client.key), "-sess_out",
                                       str(session)], input=request, capture_output=True, text=True, timeout=30)
        assert '{"status":"ok"}' in first.stdout, first.stdout + first.stderr
        if not session.exists():
            continue  # no ticket issued: nothing to resume with
        again = subprocess.run(base + ["-sess_in", str(session)], input=request, capture_output=True, text=True,
                               timeout=30)
        assert "Reused" not in again.stdout and '{"status":"ok"}' not in again.stdout, again.stdout


# --- reload by SIGHUP ---------------------------------------------------------------

def install(pair, cert_path, key_path):
    """Replaces the live files atomically, as a certificate renewal would."""
    for src, dst in ((pair.cert, cert_path), (pair.key, key_path)):
        tmp = dst.with_name(dst.name + ".new")
        shutil.copyfile(src, tmp)
        tmp.chmod(0o600)
        os.replace(tmp, dst)


def test_sighup_rotates_for_new_connections_while_open_ones_keep_working(procs, tmp_path, issuer, sts, pki):
    ca, first, client = pki
    second = ca.server("localhost", file_name="localhost-2")
    live_cert, live_key = tmp_path / "live.pem", tmp_path / "live.key"
    install(first, live_cert, live_key)
    srv = TLSServe(procs, tmp_path, issuer.url, sts.url, ca, type(first)("live", live_cert, live_key),
                   [role("client-a", ARN)], env=FAKE_SRC)
    conn = http.client.HTTPSConnection("localhost", srv.port, context=client_context(ca), timeout=15)
    conn.request("GET", "/healthz")
    assert conn.getresponse().read() == b'{"status":"ok"}'
    sock = conn.sock
    assert sock.getpeercert(binary_form=True) == first.der

    install(second, live_cert, live_key)
    srv.proc.send_signal(signal.SIGHUP)
    wait_for_log(srv.proc.log_path, re.compile(r"TLS certificate, key and client CAs reloaded"))
    # The open keep-alive connection keeps working on its handshake.
    conn.request("GET", "/healthz")
    assert conn.getresponse().read() == b'{"status":"ok"}'
    assert conn.sock is sock and sock.getpeercert(binary_form=True) == first.der
    # New connections get the new certificate.
    assert served_certificate(srv.port) == second.der
    assert srv.get("/healthz")[0] == 200
    conn.close()


def test_sighup_with_a_broken_file_keeps_the_old_material(procs, tmp_path, issuer, sts, pki):
    ca, server, _ = pki
    live_cert, live_key = tmp_path / "live.pem", tmp_path / "live.key"
    install(server, live_cert, live_key)
    srv = TLSServe(procs, tmp_path, issuer.url, sts.url, ca, type(server)("live", live_cert, live_key),
                   [role("client-a", ARN)], env=FAKE_SRC)
    live_cert.write_text("-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n")
    srv.proc.send_signal(signal.SIGHUP)
    m = wait_for_log(srv.proc.log_path, re.compile(r"ERROR .*TLS material not reloaded.*"))
    assert str(live_cert) in m.group(0)
    assert served_certificate(srv.port) == server.der
    assert srv.get("/healthz")[0] == 200
    # A key that is not the certificate's is refused the same way.
    install(server, live_cert, live_key)
    shutil.copyfile(ca.server("localhost", file_name="other").key, live_key)
    srv.proc.send_signal(signal.SIGHUP)
    wait_for_log(srv.proc.log_path, re.compile(r"ERROR .*TLS material not reloaded.*is not the key of"))
    assert served_certificate(srv.port) == server.der


# --- refusals at start ----------------------------------------------------------------

def start(procs, tmp_path, issuer, sts, args):
    return subprocess.run([BIN, "serve", "--db", str(tmp_path / "db"), "--issuer", issuer.url,
                           "--sts-endpoint", sts.url, *args], capture_output=True, text=True, timeout=30,
                          env={**os.environ, **FAKE_SRC})


def test_non_loopback_plain_listener_needs_allow_insecure_http(procs, tmp_path, issuer, sts):
    r = start(procs, tmp_path, issuer, sts, ["--listen", "0.0.0.0:0"])
    assert r.returncode != 0
    assert "--listen 0.0.0.0 is not a loopback address" in r.stderr and "--allow-insecure-http" in r.stderr
    srv = Serve(procs, tmp_path, issuer.url, sts.url, [role("client-a", ARN)],
                args=["--listen", "0.0.0.0:0", "--allow-insecure-http"], env=FAKE_SRC, wait_ready=False)
    assert "listening on 0.0.0.0:" in srv.log()
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(timeout=15) == 0


def test_key_file_open_to_group_or_others_is_refused(procs, tmp_path, issuer, sts, pki):
    ca, server, _ = pki
    server.key.chmod(0o644)
    r = start(procs, tmp_path, issuer, sts, ["--listen", "127.0.0.1:0", *tls_args(server)])
    assert r.returncode != 0
    assert f"TLS key file {server.key} has mode 0644" in r.stderr and "chmod 600" in r.stderr, r.stderr
    assert "listening on" not in r.stderr


def test_tls_flags_go_together(procs, tmp_path, issuer, sts, pki):
    ca, server, _ = pki
    for args, words in ((["--tls-cert", str(server.cert)], "--tls-cert and --tls-key go together"),
                        (["--client-ca", str(ca.cert)], "--client-ca needs --tls-cert"),
                        ([*tls_args(server), "--client-cert", "optional"], "--client-cert needs --client-ca"),
                        ([*tls_args(server, ca, "sometimes")], "must be required or optional")):
        r = start(procs, tmp_path, issuer, sts, ["--listen", "127.0.0.1:0", *args])
        assert r.returncode != 0 and words in r.stderr, (args, r.stderr)


def test_environment_variables_configure_tls(procs, tmp_path, issuer, sts, pki):
    ca, server, client = pki
    srv = Serve(procs, tmp_path, issuer.url, sts.url, [role("client-a", ARN)], wait_ready=False,
                env={**FAKE_SRC, "CREDVEND_TLS_CERT": str(server.cert), "CREDVEND_TLS_KEY": str(server.key),
                     "CREDVEND_CLIENT_CA": str(ca.cert)})
    url = f"https://localhost:{srv.port}/healthz"
    assert refused(lambda: requests.get(url, verify=str(ca.cert), timeout=10))  # required by default
    assert requests.get(url, verify=str(ca.cert), cert=(str(client.cert), str(client.key)), timeout=10).ok
    assert metric(requests.get(url.replace("healthz", "metrics"), verify=str(ca.cert),
                               cert=(str(client.cert), str(client.key)), timeout=10).text,
                  "credvend_tls_handshakes_total", outcome="client_cert_missing") == 1
