"""`credvend tes` end to end: the real binary against a fake AWS IoT credential provider
over mutual TLS on loopback (iot.py), boto3's container credential provider as a real
client, and `credvend serve` using the worker as its source credentials against
moto_server with signature checks on."""
import calendar
import json
import os
import re
import signal
import ssl
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request

import boto3
import pytest

from conftest import BIN
from e2elib import ACCOUNT, Issuer, Moto, Serve, role
from iot import CREDS_PATH, ROLE_ALIAS, THING, PKI, FakeIoTProvider, Tes, iso

REFRESHED = re.compile(r"credentials refreshed .*refresh=(\d+)")


@pytest.fixture
def pki(tmp_path):
    return PKI(tmp_path / "pki")


@pytest.fixture
def provider(pki):
    p = FakeIoTProvider(pki)
    yield p
    p.close()


def secrets_of(provider) -> list[str]:
    return [v for c in provider.issued for k, v in c.items() if k in ("secretAccessKey", "sessionToken")]


def assert_no_secrets(log: str, provider, tes):
    for secret in secrets_of(provider) + [tes.token]:
        assert secret not in log


def wait_until(predicate, timeout: float, what: str, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise TimeoutError(what)


def epoch(text: str) -> float:
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def refreshes(tes) -> int:
    return max([int(m) for m in REFRESHED.findall(tes.log())] or [0])


# --- the happy path ------------------------------------------------------------

def test_serves_provider_credentials_to_the_token_holder(procs, tmp_path, pki, provider):
    tes = Tes(procs, tmp_path, pki, provider)
    body = tes.wait_for_credentials()
    issued = provider.issued[-1]
    assert body == {"AccessKeyId": issued["accessKeyId"], "SecretAccessKey": issued["secretAccessKey"],
                    "Token": issued["sessionToken"], "Expiration": issued["expiration"]}
    st, hdrs, _ = tes.get()
    assert st == 200 and hdrs["Content-Type"] == "application/json" and hdrs["Cache-Control"] == "no-store"
    # mTLS with the device certificate, the thing-name header and the role-alias path.
    call = provider.calls[0]
    assert call == dict(call, path=f"/role-aliases/{ROLE_ALIAS}/credentials", thing=THING, client=THING, status=200)
    # The token file was generated: 32 random bytes in hex, mode 0600; its path is logged, never the token.
    assert re.fullmatch(r"[0-9a-f]{64}", tes.token)
    assert stat.S_IMODE(os.stat(tes.token_file).st_mode) == 0o600
    log = tes.log()
    assert "generated a new authz token" in log and str(tes.token_file) in log
    assert f"expiration={issued['expiration']}" in log
    assert_no_secrets(log, provider, tes)
    st, _, health = tes.get(path="/healthz", token=None)
    assert st == 200 and health == {"status": "ok", "expiration": issued["expiration"]}
    # SIGTERM: a clean exit.
    tes.proc.send_signal(signal.SIGTERM)
    assert tes.proc.wait(timeout=10) == 0


def test_the_fake_provider_refuses_a_client_without_certificate(pki, provider):
    ctx = ssl.create_default_context(cafile=pki.path("ca.pem"))
    url = f"https://{provider.endpoint}/role-aliases/{ROLE_ALIAS}/credentials"
    req = urllib.request.Request(url, headers={"x-amzn-iot-thingname": THING})
    with pytest.raises((ssl.SSLError, urllib.error.URLError, ConnectionError)):
        urllib.request.urlopen(req, context=ctx, timeout=5).read()
    # The same request with the device certificate gets credentials.
    ctx.load_cert_chain(pki.path("device.pem"), pki.path("device.key"))
    doc = json.loads(urllib.request.urlopen(req, context=ctx, timeout=5).read())
    assert doc["credentials"]["accessKeyId"].startswith("ASIA")
    assert [c["status"] for c in provider.calls] == [200]


def test_authz_token_missing_wrong_and_given(procs, tmp_path, pki, provider):
    token_file = tmp_path / "my-token"
    token_file.write_text("device-local-token-123\n")
    tes = Tes(procs, tmp_path, pki, provider, token_file=token_file)
    assert tes.token == "device-local-token-123"
    tes.wait_for_credentials()
    st, _, body = tes.get(token=None)
    assert st == 401 and body["code"] == "unauthorized" and "Authorization" in body["message"]
    for wrong in ("nope", "Bearer device-local-token-123", "device-local-token-1234"):
        st, _, body = tes.get(token=wrong)
        assert st == 403 and body["code"] == "access_denied", wrong
    assert "generated" not in tes.log()
    assert "botocore refuses such a file" in tes.log()  # the newline at the end of my-token
    assert_no_secrets(tes.log(), provider, tes)


# --- flags and files: a message naming the flag, the usage, exit 2, no network ------

REQUIRED = ["--endpoint", "--rootca", "--cert", "--key", "--role-alias", "--thing-name"]


def tes_args(pki, provider, tmp_path) -> list[str]:
    return ["tes", "--endpoint", provider.endpoint, "--rootca", pki.path("ca.pem"), "--cert", pki.path("device.pem"),
            "--key", pki.path("device.key"), "--role-alias", ROLE_ALIAS, "--thing-name", THING,
            "--listen", "127.0.0.1:0", "--authz-token-file", str(tmp_path / "token")]


def run_tes(args, timeout=15):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("flag", REQUIRED)
def test_each_required_flag(flag, pki, provider, tmp_path):
    args = tes_args(pki, provider, tmp_path)
    i = args.index(flag)
    del args[i:i + 2]
    r = run_tes(args)
    assert r.returncode == 2, r
    assert f"Missing expected argument '{flag} <" in r.stderr
    assert "Usage: credvend tes" in r.stderr
    assert provider.calls == []
    assert not (tmp_path / "token").exists()


@pytest.mark.parametrize("flag,replacement,words", [
    ("--rootca", "missing.pem", "--rootca {path} does not exist"),
    ("--rootca", "DIR", "--rootca {path} is a directory"),
    ("--rootca", "garbage.pem", "--rootca {path} is not a PEM CA certificate"),
    ("--cert", "missing.pem", "--cert {path} does not exist"),
    ("--cert", "device.key", "--cert {path} is not a PEM certificate"),
    ("--key", "missing.key", "--key {path} does not exist"),
    ("--key", "garbage.pem", "--key {path} is not an unencrypted PEM private key"),
    ("--key", "other.key", "--key {path} does not match the certificate in --cert"),
    ("--endpoint", "http://127.0.0.1:1", "--endpoint http://127.0.0.1:1: the credential provider is only reachable over https"),
    ("--role-alias", "no/slash", "--role-alias \"no/slash\" is not a role alias name"),
    ("--refresh-buffer", "0", "--refresh-buffer must be at least 1 second"),
])
def test_bad_flag_values(flag, replacement, words, pki, provider, tmp_path):
    (pki.dir / "garbage.pem").write_text("not PEM at all\n")
    files = {"missing.pem", "missing.key", "garbage.pem", "device.key", "other.key"}
    path = str(pki.dir) if replacement == "DIR" else pki.path(replacement) if replacement in files else replacement
    args = tes_args(pki, provider, tmp_path)
    if flag in args:
        args[args.index(flag) + 1] = path
    else:
        args += [flag, path]
    r = run_tes(args)
    assert r.returncode == 2, r
    assert words.format(path=path) in r.stderr, r.stderr
    assert "Usage: credvend tes" in r.stderr
    assert provider.calls == []


def test_root_ca_without_trailing_newline_works(procs, tmp_path, pki, provider):
    ca = pki.dir / "ca-no-newline.pem"
    ca.write_bytes(pki.dir.joinpath("ca.pem").read_bytes().rstrip(b"\n"))
    assert not ca.read_bytes().endswith(b"\n")
    tes = Tes(procs, tmp_path, pki, provider, args=["--rootca", str(ca)])
    assert tes.wait_for_credentials()["AccessKeyId"] == provider.issued[-1]["accessKeyId"]


# --- refusals: clear errors, retried with backoff, never a tight loop --------------

def test_wrong_root_ca_is_a_clear_tls_error(procs, tmp_path, pki, provider):
    tes = Tes(procs, tmp_path, pki, provider, args=["--rootca", pki.path("other-ca.pem")])
    wait_for = re.compile(r"ERROR credvend\.tes: credential refresh failed: TLS with https://127\.0\.0\.1:\d+ failed .*check that --rootca")
    wait_until(lambda: wait_for.search(tes.log()), 10, "no TLS error logged:\n" + tes.log())
    st, hdrs, body = tes.get()
    assert st == 503 and body["code"] == "unavailable" and "--rootca" in body["message"] and "Retry-After" in hdrs
    assert provider.calls == []  # the handshake failed: no request reached the provider
    time.sleep(2)
    assert tes.log().count("credential refresh failed") <= 2  # backoff from 2.5-5 s: not a loop
    assert tes.proc.poll() is None


@pytest.mark.parametrize("args,status,words", [
    (["--role-alias", "wrong-alias"], 404, "check that role alias wrong-alias exists"),
    (["--thing-name", "thing-02"], 403, "is attached to thing thing-02"),
])
def test_provider_refusals_are_explained_and_backed_off(args, status, words, procs, tmp_path, pki, provider):
    tes = Tes(procs, tmp_path, pki, provider, args=args)
    wait_until(lambda: words in tes.log(), 10, "no refusal logged:\n" + tes.log())
    line = next(l for l in tes.log().splitlines() if words in l)
    assert "ERROR" in line and f"answered {status}" in line and f"status={status}" in line and "retry_in=" in line
    st, _, body = tes.get()
    assert st == 503 and words in body["message"]
    time.sleep(2)
    assert 1 <= len(provider.calls) <= 2 and all(c["status"] == status for c in provider.calls)


# --- refresh, outage, recovery ---------------------------------------------------

def test_short_lived_credentials_are_refreshed_before_expiry(procs, tmp_path, pki, provider):
    provider.lifetime = 6
    tes = Tes(procs, tmp_path, pki, provider, refresh_buffer=3)
    tes.wait_for_credentials()
    served = set()
    deadline = time.monotonic() + 15
    while refreshes(tes) < 3 and time.monotonic() < deadline:
        st, _, body = tes.get()
        assert st == 200, body  # never a gap: each refresh lands before the old credentials expire
        assert body["Expiration"] > iso(time.time() - 1)  # never expired credentials
        served.add(body["AccessKeyId"])
        time.sleep(0.2)
    assert refreshes(tes) >= 3, tes.log()
    served.add(tes.get()[2]["AccessKeyId"])
    assert len(served) >= 3
    ok = provider.successes()
    for previous, following, issued in zip(ok, ok[1:], provider.issued):
        assert following["time"] < epoch(issued["expiration"])
        assert following["time"] - previous["time"] >= 1  # no tight loop
    assert_no_secrets(tes.log(), provider, tes)


def test_provider_down_serves_last_good_then_503_then_recovers(procs, tmp_path, pki, provider):
    provider.lifetime = 6
    tes = Tes(procs, tmp_path, pki, provider, refresh_buffer=3)
    first = tes.wait_for_credentials()
    provider.down()
    expires = epoch(first["Expiration"])
    # Until expiry: the last good credentials.
    while time.time() < expires - 0.5:
        st, _, body = tes.get()
        assert st == 200 and body["AccessKeyId"] == first["AccessKeyId"], body
        time.sleep(0.2)
    # After expiry: 503, with the reason.
    time.sleep(max(0.0, expires + 0.3 - time.time()))
    st, hdrs, body = tes.get()
    assert st == 503 and body["code"] == "unavailable", body
    assert "expired at" in body["message"] and "unreachable" in body["message"]
    assert "Retry-After" in hdrs
    assert tes.get(path="/healthz", token=None)[0] == 503
    assert "WARNING credvend.tes: credential refresh failed" in tes.log()
    # The provider returns: fresh credentials within the (1 s) backoff.
    provider.up()
    fresh = tes.wait_for_credentials(timeout=6, not_key=first["AccessKeyId"])
    assert fresh["AccessKeyId"] == provider.issued[-1]["accessKeyId"]
    assert_no_secrets(tes.log(), provider, tes)


# --- real clients ------------------------------------------------------------------

BOTO_PROBE = """
import json, boto3
c = boto3.Session().get_credentials()
f = c.get_frozen_credentials()
print(json.dumps({"method": c.method, "key": f.access_key, "secret": f.secret_key, "token": f.token}))
"""


@pytest.mark.parametrize("token_via", ["AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"])
def test_boto3_container_provider_resolves_the_credentials(token_via, procs, tmp_path, pki, provider):
    tes = Tes(procs, tmp_path, pki, provider)
    tes.wait_for_credentials()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_CONTAINER_CREDENTIALS_FULL_URI": tes.url, "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_CONFIG_FILE": str(tmp_path / "none"),
                token_via: tes.token if token_via == "AWS_CONTAINER_AUTHORIZATION_TOKEN" else str(tes.token_file)})
    r = subprocess.run([sys.executable, "-c", BOTO_PROBE], capture_output=True, text=True, env=env, timeout=30)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    issued = provider.issued[-1]
    assert got == {"method": "container-role", "key": issued["accessKeyId"], "secret": issued["secretAccessKey"],
                   "token": issued["sessionToken"]}
    # Without the token boto3 finds nothing usable.
    env.pop(token_via)
    r = subprocess.run([sys.executable, "-c", BOTO_PROBE], capture_output=True, text=True, env=env, timeout=30)
    assert r.returncode != 0


def test_serve_signs_assume_role_with_tes_credentials(procs, tmp_path, pki):
    moto = Moto(procs, tmp_path)
    session = "iot-cert-0123456789"  # the IoT provider names the session after the certificate
    device_role = moto.iam.create_role(RoleName="iot-device", AssumeRolePolicyDocument=moto.trust)["Role"]["Arn"]
    policy = moto.iam.create_policy(PolicyName="assume-any", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))["Policy"]["Arn"]
    moto.iam.attach_role_policy(RoleName="iot-device", PolicyArn=policy)
    app_role = moto.iam.create_role(RoleName="srv-app", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {
            "AWS": [device_role, f"arn:aws:sts::{ACCOUNT}:assumed-role/iot-device/{session}"]}}]}))["Role"]["Arn"]
    moto.enforce_signatures()
    user_sts = boto3.client("sts", endpoint_url=moto.url, region_name="us-east-1",
                            aws_access_key_id=moto.access_key, aws_secret_access_key=moto.secret_key)

    def issue(lifetime):  # what the IoT provider does: AssumeRole of the role alias's role
        c = user_sts.assume_role(RoleArn=device_role, RoleSessionName=session, DurationSeconds=3600)["Credentials"]
        return {"accessKeyId": c["AccessKeyId"], "secretAccessKey": c["SecretAccessKey"],
                "sessionToken": c["SessionToken"], "expiration": c["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ")}

    provider = FakeIoTProvider(pki, issue=issue)
    issuer = Issuer()
    try:
        tes = Tes(procs, tmp_path, pki, provider)
        device = tes.wait_for_credentials()
        srv = Serve(procs, tmp_path, issuer.url, moto.url, [role("client-a", app_role, server_name="server-01")],
                    env={"AWS_CONTAINER_CREDENTIALS_FULL_URI": tes.url,
                         "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(tes.token_file)})
        st, _, body = srv.vend(issuer.mint("client-a"))
        assert st == 200, body
        who = boto3.client("sts", endpoint_url=moto.url, region_name="us-east-1", aws_access_key_id=body["AccessKeyId"],
                           aws_secret_access_key=body["SecretAccessKey"], aws_session_token=body["SessionToken"])
        assert who.get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/srv-app/credvend-server-01"
        log = srv.log()
        assert "source=container" in log and f"access_key_id={device['AccessKeyId']}" in log
        for secret in (device["SecretAccessKey"], device["Token"], tes.token, body["SecretAccessKey"]):
            assert secret not in log and secret not in tes.log()
    finally:
        provider.close()
        issuer.close()
