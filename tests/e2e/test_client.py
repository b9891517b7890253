"""`credvend get-credentials`, `credential-daemon` and `token-daemon` against
real peers: `credvend dev-idp` and `credvend serve` backed by moto_server
(Cognito flow), a local Auth0-style token endpoint and moto's
AssumeRoleWithWebIdentity (Auth0 flow), and boto3 / the AWS CLI as clients
nobody here wrote."""
import json
import os
import random
import re
import signal
import stat
import subprocess
import threading
import time
from pathlib import Path

import boto3
import botocore.session
import pytest

from clientlib import (CHECKS, real_stack, CLIENTS, Auth0TokenEndpoint, FakeVending, base_env, cognito_env, fake_credentials,
                       get_credentials, moto_credentials, run_client, start_dev_idp)
from conftest import BIN
from e2elib import FakeSTS, Moto, Serve, role

ACCOUNT = "123456789012"


@pytest.fixture
def stack(procs, tmp_path):
    s = real_stack(procs, tmp_path)
    # No path: the client adds /v1/credentials.
    s.env = cognito_env(tmp_path, s.idp_url, s.srv.url)
    return s


def caller_arn(creds: dict, sts_url: str) -> str:
    sts = boto3.client("sts", endpoint_url=sts_url, region_name="us-east-1", aws_access_key_id=creds["AccessKeyId"],
                       aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    return sts.get_caller_identity()["Arn"]


def profile_session(config_file: Path, profile: str, credentials_file: Path | None = None) -> boto3.Session:
    """boto3 reading only the given files (nothing from this machine's ~/.aws or environment keys)."""
    bs = botocore.session.Session()
    bs.set_config_variable("config_file", str(config_file))
    bs.set_config_variable("credentials_file", str(credentials_file or config_file.parent / "no-credentials"))
    bs.set_config_variable("profile", profile)
    return boto3.Session(botocore_session=bs)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def secrets_in(text: str, *secrets: str) -> list[str]:
    return [s[:6] + "…" for s in secrets if s and s in text]


# --- get-credentials, Cognito ----------------------------------------------------------------

def test_get_credentials_prints_only_credential_process_json_that_moto_accepts(stack):
    r = get_credentials(stack.env)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert r.stdout.endswith("\n") and r.stdout.count("\n") == 1
    creds = json.loads(r.stdout)
    assert list(creds) == ["Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"]
    assert creds["Version"] == 1 and creds["AccessKeyId"].startswith("ASIA")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", creds["Expiration"])
    assert caller_arn(creds, stack.moto.url) == f"arn:aws:sts::{ACCOUNT}:assumed-role/app-a/credvend-server-01"


def test_boto3_and_the_aws_cli_resolve_credentials_through_credential_process(stack, tmp_path):
    config = tmp_path / "config.env"
    config.write_text("".join(f"{k}={v}\n" for k, v in stack.env.items() if k.startswith(("IDP_", "COGNITO_"))))
    aws_config = tmp_path / "aws-config"
    aws_config.write_text(f"[profile credvend]\ncredential_process = {BIN} get-credentials --config {config} "
                          f"--cache-dir {tmp_path / 'pcache'}\nregion = us-east-1\n")
    session = profile_session(aws_config, "credvend")
    sts = session.client("sts", endpoint_url=stack.moto.url)
    assert sts.get_caller_identity()["Arn"].endswith(":assumed-role/app-a/credvend-server-01")
    assert session.get_credentials().method == "custom-process"
    # The AWS CLI, another real client, with the same profile.
    env = base_env(tmp_path)
    env.update({"AWS_CONFIG_FILE": str(aws_config), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
                "AWS_PROFILE": "credvend"})
    cli = subprocess.run(["aws", "sts", "get-caller-identity", "--endpoint-url", stack.moto.url, "--output", "json"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["Arn"].endswith(":assumed-role/app-a/credvend-server-01")


def test_a_cache_hit_makes_no_network_call(stack, tmp_path):
    first = get_credentials(stack.env)
    assert first.returncode == 0, first.stderr
    cache = tmp_path / "cache" / "credvend"
    files = sorted(p.name for p in cache.iterdir())
    assert [f.split("-")[0] for f in files] == ["credentials", "token"]
    assert mode(cache) == 0o700 and all(mode(cache / f) == 0o600 for f in files)
    # Nothing to talk to any more.
    for p in (stack.srv.proc, stack.idp):
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=15)
    again = get_credentials(stack.env)
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout
    # Without the cache the same call fails, and says why on stderr only.
    cold = get_credentials(stack.env, "--no-cache")
    assert cold.returncode == 1 and cold.stdout == ""
    assert cold.stderr.startswith(f"credvend get-credentials: cannot reach the token endpoint {stack.idp_url}/oauth2/token")


def test_a_corrupt_cache_file_is_ignored_and_replaced(stack, tmp_path):
    assert get_credentials(stack.env).returncode == 0
    cache = tmp_path / "cache" / "credvend"
    for f in cache.iterdir():
        f.write_bytes(b'{"version":1,"kind":"cred\x00garbage')
    r = get_credentials(stack.env)
    assert r.returncode == 0, r.stderr
    assert caller_arn(json.loads(r.stdout), stack.moto.url).endswith("/credvend-server-01")
    for f in cache.iterdir():
        assert json.loads(f.read_text())["version"] == 1 and mode(f) == 0o600


def test_errors_go_to_stderr_without_secrets(stack, tmp_path):
    env = dict(stack.env, COGNITO_CLIENT_SECRET="wrong-secret-value")
    r = get_credentials(env, "--no-cache")
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr == (f"credvend get-credentials: the token endpoint {stack.idp_url}/oauth2/token refused the client "
                        "credentials: HTTP 401 invalid_client (unknown client or wrong secret)\n")
    # client-b has a token but no role mapping: the vending API's own words.
    b = cognito_env(tmp_path, stack.idp_url, stack.srv.url, client=CLIENTS[1])
    r = get_credentials(b, "--no-cache")
    assert r.returncode == 1 and r.stdout == ""
    assert f"the credential API {stack.srv.url}/v1/credentials refused the request: HTTP 403 access_denied" in r.stderr
    assert not secrets_in(r.stderr, CLIENTS[1]["client_secret"], "wrong-secret-value")
    # A scope the client may not have.
    r = get_credentials(dict(stack.env, COGNITO_SCOPE="admin"), "--no-cache")
    assert r.returncode == 1 and "HTTP 400 invalid_scope" in r.stderr


def test_settings_come_from_a_config_file_the_environment_and_flags_in_that_order(stack, tmp_path):
    config = tmp_path / "config.env"
    config.write_text("# a client config.env, also usable with `source`\n"
                      + "".join(f"export {k}='{v}'\n" for k, v in stack.env.items() if k.startswith(("IDP_", "COGNITO_")))
                      + "COGNITO_CLIENT_SECRET=wrong-in-file  # wins over the line above\n")
    bare = base_env(tmp_path)
    r = get_credentials(bare, "--config", str(config), "--no-cache")
    assert r.returncode == 1 and "invalid_client" in r.stderr
    r = get_credentials(dict(bare, COGNITO_CLIENT_SECRET=CLIENTS[0]["client_secret"]), "--config", str(config), "--no-cache")
    assert r.returncode == 0, r.stderr
    r = get_credentials(bare, "--config", str(config), "--no-cache", "--cognito-client-secret", CLIENTS[0]["client_secret"])
    assert r.returncode == 0, r.stderr
    # The shell's way: it sources the file first.
    sourced = subprocess.run(["bash", "-c", f'source "$1" && exec {BIN} get-credentials --no-cache', "_", str(config)],
                             env=dict(bare, COGNITO_CLIENT_SECRET=CLIENTS[0]["client_secret"]), capture_output=True,
                             text=True, timeout=60)
    assert sourced.returncode == 1 and "invalid_client" in sourced.stderr  # bash's `source` lets the file win


# --- settings errors ------------------------------------------------------------------------

def test_missing_settings_are_listed_in_one_message(tmp_path):
    env = base_env(tmp_path)
    r = get_credentials(dict(env, IDP_TYPE="cognito"))
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == ("credvend get-credentials: missing settings for IDP_TYPE=cognito: COGNITO_DOMAIN (--cognito-domain), "
                        "COGNITO_CLIENT_ID (--cognito-client-id), COGNITO_CLIENT_SECRET (--cognito-client-secret), "
                        "COGNITO_RESOURCE_SERVER (--cognito-resource-server), COGNITO_CREDENTIAL_API_URL "
                        "(--cognito-credential-api-url); set each in the environment, in the --config file, or by its flag\n")
    r = get_credentials(env)
    assert r.returncode == 2
    assert r.stderr.startswith("credvend get-credentials: missing settings for IDP_TYPE=auth0 (the default; set "
                               "IDP_TYPE=cognito for Cognito): AUTH0_DOMAIN (--auth0-domain), AUTH0_CLIENT_ID")
    assert "AUTH0_AUDIENCE (--auth0-audience), AWS_ROLE_ARN (--role-arn);" in r.stderr
    r = get_credentials(dict(env, IDP_TYPE="auth0", AUTH0_DOMAIN="tenant.auth0.com", AUTH0_CLIENT_ID="x"),
                        "--auth0-audience", "https://api")
    assert r.returncode == 2
    assert "IDP_TYPE=auth0: AUTH0_CLIENT_SECRET (--auth0-client-secret), AWS_ROLE_ARN (--role-arn);" in r.stderr
    r = run_client(dict(env, IDP_TYPE="auth0"), "token-daemon", "--token-file", str(tmp_path / "t"))
    assert r.returncode == 2 and "AWS_ROLE_ARN" not in r.stderr and "AUTH0_AUDIENCE (--auth0-audience)" in r.stderr
    r = run_client(env, "credential-daemon", "--creds-dir", str(tmp_path / "d"), "--idp-type", "cognito")
    assert r.returncode == 2 and "credvend credential-daemon: missing settings for IDP_TYPE=cognito" in r.stderr


def test_wrong_settings_are_named(tmp_path):
    env = base_env(tmp_path)
    r = get_credentials(dict(env, IDP_TYPE="okta"))
    assert (r.returncode, r.stderr) == (2, 'credvend get-credentials: IDP_TYPE "okta" is not supported: use cognito or auth0\n')
    auth0 = dict(env, IDP_TYPE="auth0", AUTH0_DOMAIN="http://tenant.auth0.com", AUTH0_CLIENT_ID="x",
                 AUTH0_CLIENT_SECRET="secret-xyz", AUTH0_AUDIENCE="https://api", AWS_ROLE_ARN="oidc-s3-dev-server")
    r = get_credentials(auth0, "--duration-seconds", "100")
    assert r.returncode == 2 and r.stdout == ""
    assert "AUTH0_DOMAIN http://tenant.auth0.com uses plain http to a non-loopback host; use https" in r.stderr
    assert 'AWS_ROLE_ARN "oidc-s3-dev-server" is not an IAM role ARN: must look like arn:aws:iam::123456789012:role/NAME' in r.stderr
    assert '--duration-seconds "100" must be a whole number of seconds from 900 to 43200' in r.stderr
    assert "secret-xyz" not in r.stderr
    r = get_credentials(dict(auth0, AUTH0_DOMAIN="tenant.auth0.com", AWS_ROLE_ARN=f"arn:aws:iam::{ACCOUNT}:role/r",
                             AWS_ENDPOINT_URL_STS="http://sts.example.com"))
    assert r.returncode == 2 and "AWS_ENDPOINT_URL_STS http://sts.example.com uses plain http" in r.stderr
    bad = tmp_path / "bad.env"
    bad.write_text("IDP_TYPE=cognito\nCOGNITO_CLIENT_SECRET=has$dollar\n")
    r = get_credentials(env, "--config", str(bad))
    assert r.returncode == 2
    assert r.stderr == (f"credvend get-credentials: --config {bad}: line 2: "
                        "$ and ` would be expanded by a shell; use single quotes\n")
    r = get_credentials(env, "--config", str(tmp_path / "missing.env"))
    assert r.returncode == 2 and "missing.env cannot be read" in r.stderr
    r = run_client(dict(env, IDP_TYPE="cognito"), "token-daemon", "--token-file", str(tmp_path / "t"))
    assert r.returncode == 2 and "IDP_TYPE=cognito is not supported: Cognito access tokens have no aud" in r.stderr


# --- the refresh window, with boto3 ---------------------------------------------------------

def credential_process_profile(tmp_path: Path, env: dict) -> tuple[Path, Path]:
    """An AWS config profile whose credential_process logs each call, then runs get-credentials."""
    calls = tmp_path / "calls.log"
    wrapper = tmp_path / "credential-process.sh"
    exports = "".join(f"export {k}='{v}'\n" for k, v in env.items())
    wrapper.write_text(f"#!/bin/sh\n{exports}echo call >> {calls}\nexec {BIN} get-credentials\n")
    wrapper.chmod(0o700)
    aws_config = tmp_path / "aws-config"
    aws_config.write_text(f"[profile credvend]\ncredential_process = {wrapper}\nregion = us-east-1\n")
    return aws_config, calls


def lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_boto3_refreshes_across_the_15_minute_window_and_gets_fresh_credentials(procs, tmp_path):
    moto = Moto(procs, tmp_path)
    arn = moto.create_role("app-a")
    moto.enforce_signatures()
    idp_url, _ = start_dev_idp(procs, tmp_path)
    # First answer: 15 min 10 s left (reusable for 10 s); then a full hour.
    vend = FakeVending(lambda n: (200, moto_credentials(moto, arn, f"answer-{n}", 15 * 60 + 10 if n == 1 else 3600), 0))
    try:
        aws_config, calls = credential_process_profile(tmp_path, cognito_env(tmp_path, idp_url, vend.url))
        session = profile_session(aws_config, "credvend")
        sts = session.client("sts", endpoint_url=moto.url)
        assert sts.get_caller_identity()["Arn"].endswith("/answer-1")
        assert sts.get_caller_identity()["Arn"].endswith("/answer-1")
        assert (lines(calls), vend.calls) == (1, 1)  # more than 15 minutes left: botocore does not call again
        time.sleep(max(0.0, vend.times[0] + 11 - time.time()))
        # Now under 15 minutes: botocore's refresh runs get-credentials, whose cache is stale too.
        assert sts.get_caller_identity()["Arn"].endswith("/answer-2")
        assert (lines(calls), vend.calls) == (2, 2)
        frozen = session.get_credentials()
        assert frozen._seconds_remaining() > 15 * 60
        assert sts.get_caller_identity()["Arn"].endswith("/answer-2")
        assert (lines(calls), vend.calls) == (2, 2)
    finally:
        vend.close()


def test_short_session_credentials_are_reused_for_half_their_life_and_boto3_keeps_working(procs, tmp_path):
    moto = Moto(procs, tmp_path)
    arn = moto.create_role("app-a")
    moto.enforce_signatures()
    idp_url, _ = start_dev_idp(procs, tmp_path)
    # What a 900 s session looks like after a while: 14 minutes left.
    vend = FakeVending(lambda n: (200, moto_credentials(moto, arn, f"answer-{n}", 14 * 60), 0))
    try:
        aws_config, calls = credential_process_profile(tmp_path, cognito_env(tmp_path, idp_url, vend.url))
        sts = profile_session(aws_config, "credvend").client("sts", endpoint_url=moto.url)
        for i in range(1, 5):
            assert sts.get_caller_identity()["Arn"].endswith("/answer-1")
            # Under 15 minutes left, botocore runs credential_process again on every call (the first call
            # twice: load, then an immediate refresh); the cache answers, not the network.
            assert (lines(calls), vend.calls) == (i + 1, 1)
        # Move the cache's clock: obtained 7 minutes ago, half of the 14 minutes it had.
        cache_file = next((tmp_path / "cache" / "credvend").glob("credentials-*.json"))
        record = json.loads(cache_file.read_text())
        record["obtained_at"] -= 7 * 60
        fd = os.open(cache_file, os.O_WRONLY | os.O_TRUNC)
        os.write(fd, json.dumps(record).encode())
        os.close(fd)
        assert sts.get_caller_identity()["Arn"].endswith("/answer-2")
        assert vend.calls == 2
    finally:
        vend.close()


# --- Auth0 ----------------------------------------------------------------------------------

def test_auth0_flow_against_a_token_endpoint_and_moto_web_identity(procs, tmp_path):
    moto = Moto(procs, tmp_path)  # AssumeRoleWithWebIdentity is unsigned: moto's signature checks stay off
    arn = moto.create_role("oidc-s3-dev-server")
    auth0 = Auth0TokenEndpoint()
    try:
        env = auth0.env(tmp_path, arn, moto.url, AUTH0_DOMAIN=auth0.url + "/")
        r = get_credentials(env)
        assert r.returncode == 0, r.stderr
        creds = json.loads(r.stdout)
        assert caller_arn(creds, moto.url) == f"arn:aws:sts::{ACCOUNT}:assumed-role/oidc-s3-dev-server/credvend-auth0-client"
        assert auth0.forms[0] == {"grant_type": "client_credentials", "client_id": "auth0-client",
                                  "client_secret": "auth0-secret-value", "audience": "https://s3-uploader.test"}
        # Cached: neither Auth0 nor STS is asked again (moto would answer new keys).
        again = get_credentials(env)
        assert again.stdout == r.stdout and len(auth0.issued) == 1
        # A new session name is another cache entry; the cached token is reused.
        other = get_credentials(env, "--role-session-name", "backup-job", "--duration-seconds", "900")
        assert other.returncode == 0, other.stderr
        assert caller_arn(json.loads(other.stdout), moto.url).endswith("/oidc-s3-dev-server/backup-job")
        assert len(auth0.issued) == 1
        wrong = get_credentials(dict(env, AUTH0_AUDIENCE="https://other"), "--no-cache")
        assert wrong.returncode == 1
        assert wrong.stderr == (f"credvend get-credentials: the token endpoint {auth0.url}/oauth/token refused the client "
                                "credentials: HTTP 403 access_denied (Service not found: https://other)\n")
    finally:
        auth0.close()


def test_auth0_sts_error_xml_is_reported_without_the_token(tmp_path):
    auth0 = Auth0TokenEndpoint()
    sts = FakeSTS()
    sts.default = ("denied", 0)
    try:
        r = get_credentials(auth0.env(tmp_path, f"arn:aws:iam::{ACCOUNT}:role/r", sts.url), "--no-cache")
        assert r.returncode == 1 and r.stdout == ""
        assert r.stderr.startswith(f"credvend get-credentials: STS AssumeRoleWithWebIdentity for arn:aws:iam::{ACCOUNT}:role/r "
                                   f"at {sts.url} failed: STS AccessDenied (HTTP 403")
        assert "User is not authorized to perform: sts:AssumeRole" in r.stderr
        assert not secrets_in(r.stderr, *auth0.issued, auth0.client_secret)
        form = sts.calls[0]["form"]
        assert form["Action"] == "AssumeRoleWithWebIdentity" and form["WebIdentityToken"] == auth0.issued[0]
        assert "authorization" not in {k.lower() for k in sts.calls[0]["headers"]}  # unsigned
    finally:
        auth0.close()
        sts.close()


# --- credential-daemon ------------------------------------------------------------------------

def start_daemon(procs, env, creds_dir, *args, name="daemon"):
    return procs.start([BIN, "credential-daemon", "--creds-dir", str(creds_dir), *args], env=env, name=name)


def wait_until(cond, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.02)
    raise TimeoutError(what)


def read_all(d: Path) -> dict:
    return {name: (d / name).read_bytes() for name in CHECKS}


def test_credential_daemon_once_writes_three_formats_that_real_readers_take(stack, tmp_path):
    d = tmp_path / "aws-creds"
    r = run_client(stack.env, "credential-daemon", "--creds-dir", str(d), "--once")
    assert r.returncode == 0, r.stderr
    assert "credentials written" in r.stderr and not secrets_in(r.stderr, CLIENTS[0]["client_secret"])
    assert sorted(os.listdir(d)) == ["aws-credentials.env", "aws-credentials.json", "credentials"]
    assert mode(d) == 0o700 and all(mode(d / f) == 0o600 for f in os.listdir(d))
    creds = json.loads((d / "aws-credentials.json").read_text())
    assert not secrets_in(r.stderr, creds["SecretAccessKey"], creds["SessionToken"])
    assert caller_arn(creds, stack.moto.url).endswith("/credvend-server-01")
    # The INI, read by botocore as AWS_SHARED_CREDENTIALS_FILE.
    session = profile_session(tmp_path / "no-config", "default", credentials_file=d / "credentials")
    frozen = session.get_credentials().get_frozen_credentials()
    assert (frozen.access_key, frozen.secret_key, frozen.token) == (creds["AccessKeyId"], creds["SecretAccessKey"],
                                                                    creds["SessionToken"])
    sts = session.client("sts", endpoint_url=stack.moto.url, region_name="us-east-1")
    assert sts.get_caller_identity()["Arn"].endswith("/credvend-server-01")
    # The env file, sourced by bash; the variables reach a child process.
    out = subprocess.run(["bash", "-c", 'source "$1" && env', "_", str(d / "aws-credentials.env")],
                         env={"PATH": os.environ["PATH"]}, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    seen = dict(line.split("=", 1) for line in out.stdout.splitlines() if line.startswith("AWS_"))
    assert seen == {"AWS_ACCESS_KEY_ID": creds["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
                    "AWS_SESSION_TOKEN": creds["SessionToken"], "AWS_CREDENTIAL_EXPIRATION": creds["Expiration"]}


def test_credential_daemon_rewrites_100_times_and_a_reader_never_sees_a_partial_file(procs, tmp_path):
    idp_url, _ = start_dev_idp(procs, tmp_path)
    vend = FakeVending(lambda n: (200, fake_credentials(n), 0))
    d = tmp_path / "aws-creds"
    try:
        daemon = start_daemon(procs, cognito_env(tmp_path, idp_url, vend.url), d, "--refresh-interval", "0.01")
        wait_until(lambda: all((d / f).exists() for f in CHECKS), what="first write")
        problems, versions, reads = [], {f: set() for f in CHECKS}, [0]

        def reader():
            # The 102nd fetch starts only after the 101st write (the first and 100 rewrites) is done.
            while vend.calls < 102 and daemon.poll() is None:
                for name, check in CHECKS.items():
                    data = (d / name).read_bytes()
                    reads[0] += 1
                    try:
                        versions[name].add(check(data.decode()))
                    except Exception as e:  # a partial or mixed file
                        problems.append((name, repr(e), len(data)))

        t = threading.Thread(target=reader)
        t.start()
        t.join(timeout=90)
        assert not t.is_alive(), "the daemon did not rewrite 100 times in 90 s"
        log = Path(daemon.log_path).read_text()
        assert re.search(r"refresh=101\b", log), log[-2000:]
        assert problems == []
        assert all(len(v) > 10 for v in versions.values()), {k: len(v) for k, v in versions.items()}
        assert reads[0] > 300
        leftovers = [f for f in os.listdir(d) if f not in CHECKS]
        assert leftovers == [] or all(f.startswith(".") and ".tmp-" in f for f in leftovers)
        assert not secrets_in(log, *vend.tokens, CLIENTS[0]["client_secret"], "secret-5-", "session-5-")
    finally:
        vend.close()


def test_credential_daemon_kill_9_during_a_refresh_leaves_the_old_files_whole(procs, tmp_path):
    idp_url, _ = start_dev_idp(procs, tmp_path)
    # The first answer is quick, every later one takes 5 s: the daemon is killed while it waits.
    vend = FakeVending(lambda n: (200, fake_credentials(n), 0 if n == 1 else 5))
    d = tmp_path / "aws-creds"
    env = cognito_env(tmp_path, idp_url, vend.url)
    try:
        daemon = start_daemon(procs, env, d, "--refresh-interval", "0.2")
        wait_until(lambda: vend.calls >= 2, what="a refresh under way")
        before = read_all(d)
        assert [CHECKS[n](b.decode()) for n, b in before.items()] == ["1", "1", "1"]
        daemon.send_signal(signal.SIGKILL)
        daemon.wait(timeout=10)
        assert read_all(d) == before
        assert sorted(os.listdir(d)) == sorted(CHECKS)
    finally:
        vend.close()

    # Killed at random moments of fast rewrites: every file is always an old one or a new one, whole.
    fast = FakeVending(lambda n: (200, fake_credentials(n), 0))
    env = cognito_env(tmp_path, idp_url, fast.url)
    rng = random.Random(4)
    try:
        for round_ in range(8):
            p = start_daemon(procs, env, d, "--refresh-interval", "0.001", name=f"kill-{round_}")
            start = fast.calls
            wait_until(lambda: fast.calls >= start + 3 or p.poll() is not None, what="rewrites")
            time.sleep(rng.uniform(0, 0.2))
            p.send_signal(signal.SIGKILL)
            p.wait(timeout=10)
            for name, check in CHECKS.items():
                check((d / name).read_text())
        # A restart removes what a killed writer left behind.
        assert run_client(env, "credential-daemon", "--creds-dir", str(d), "--once").returncode == 0
        assert sorted(os.listdir(d)) == sorted(CHECKS)
    finally:
        fast.close()


def test_credential_daemon_keeps_the_old_files_on_failure_retries_and_stops_on_sigterm(procs, tmp_path):
    idp_url, _ = start_dev_idp(procs, tmp_path)
    answers = {1: (200, fake_credentials(1), 0)}
    answers.update({n: (503, {"error": "unavailable", "message": "no STS"}, 0) for n in (2, 3, 4)})
    vend = FakeVending(lambda n: answers.get(n, (200, fake_credentials(n), 0)))
    d = tmp_path / "aws-creds"
    try:
        daemon = start_daemon(procs, cognito_env(tmp_path, idp_url, vend.url), d, "--refresh-interval", "0.3",
                              "--min-retry-delay", "0.2", "--max-retry-delay", "1")
        wait_until(lambda: vend.calls >= 1 and all((d / f).exists() for f in CHECKS), what="first write")
        first = read_all(d)
        # Each failed refresh makes 3 attempts (HTTP retries) before the daemon backs off.
        wait_until(lambda: vend.calls >= 2, what="failing refreshes")
        while vend.calls < 5:
            assert read_all(d) == first
            time.sleep(0.01)
        # Each file is replaced whole; the three are written one after another.
        wait_until(lambda: all(b != first[n] for n, b in read_all(d).items()), what="recovery")
        for name, check in CHECKS.items():
            assert check((d / name).read_text()) != "1"
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=10) == 0
        log = Path(daemon.log_path).read_text()
        assert "credentials refresh failed; the old files stay" in log
        assert re.search(r"error=\"the credential API \S+ failed: HTTP 503 unavailable: no STS \(after 3 attempts\)\"", log)
        assert "stopped signal=SIGTERM" in log
        assert re.search(r"INFO credvend.credential-daemon: credentials refreshed access_key_id=ASIAFAKE0+1 .*expiration=", log)
        all_secrets = [json.loads(b)["SecretAccessKey"] for b in [first["aws-credentials.json"]]]
        assert not secrets_in(log, *vend.tokens, *all_secrets, CLIENTS[0]["client_secret"])
    finally:
        vend.close()


# --- token-daemon -----------------------------------------------------------------------------

def test_token_daemon_keeps_the_token_file_fresh_for_aws_web_identity_token_file(procs, tmp_path, monkeypatch):
    moto = Moto(procs, tmp_path)
    arn = moto.create_role("oidc-s3-dev-server")
    auth0 = Auth0TokenEndpoint(expires_in=4)  # reused for half of 4 s: a new file every 2 s
    token_file = tmp_path / "oidc" / "token"
    try:
        env = auth0.env(tmp_path, arn, moto.url)
        daemon = procs.start([BIN, "token-daemon", "--token-file", str(token_file)], env=env, name="token-daemon")
        wait_until(lambda: token_file.exists(), what="token file")
        first = token_file.read_text()
        assert first == auth0.issued[0] and not first.endswith("\n")
        assert mode(token_file) == 0o600 and mode(token_file.parent) == 0o700
        wait_until(lambda: token_file.read_text() != first, timeout=10, what="a rewritten token")
        assert token_file.read_text() in auth0.issued[1:]
        # botocore's own web identity provider reads the file and calls STS (moto).
        for k in [k for k in os.environ if k.startswith("AWS_")]:
            monkeypatch.delenv(k)
        monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token_file))
        monkeypatch.setenv("AWS_ROLE_ARN", arn)
        monkeypatch.setenv("AWS_ROLE_SESSION_NAME", "vector")
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto.url)
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
        session = boto3.Session(region_name="us-east-1")
        assert session.get_credentials().method == "assume-role-with-web-identity"
        assert session.client("sts").get_caller_identity()["Arn"] == \
            f"arn:aws:sts::{ACCOUNT}:assumed-role/oidc-s3-dev-server/vector"
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=10) == 0
        log = Path(daemon.log_path).read_text()
        assert "token refreshed" in log and "token_sha256=" in log
        assert not secrets_in(log, *auth0.issued, auth0.client_secret)
    finally:
        auth0.close()


def test_token_daemon_once_and_its_failures(tmp_path):
    auth0 = Auth0TokenEndpoint()
    try:
        token_file = tmp_path / "token"
        env = auth0.env(tmp_path, "", "")
        r = run_client(env, "token-daemon", "--token-file", str(token_file), "--once")
        assert r.returncode == 0, r.stderr
        assert token_file.read_text() == auth0.issued[0]
        r = run_client(dict(env, AUTH0_CLIENT_SECRET="nope"), "token-daemon", "--token-file", str(token_file), "--once",
                       "--no-cache")
        assert r.returncode == 1 and "HTTP 401 access_denied (Unauthorized)" in r.stderr
        assert token_file.read_text() == auth0.issued[0]
    finally:
        auth0.close()
