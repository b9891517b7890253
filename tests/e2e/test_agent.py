"""`credvend agent`, `credvend generate` and `get-credentials --socket` against real
peers: dev-idp (Cognito stand-in), `credvend serve` backed by moto_server with
signature checks on, and boto3 / the AWS CLI as clients. Sockets live in a
directory other users may enter, so that file permissions alone decide who
connects."""
import errno
import grp
import http.client
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from clientlib import CLIENTS, base_env, real_stack, start_dev_idp
from conftest import BIN
from e2elib import Moto, Serve, role, wait_for_log

ACCOUNT = "123456789012"
NOBODY = 65534


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.path)
        self.sock = s


def ask(path, target="/v1/credentials"):
    c = UnixHTTP(str(path))
    try:
        c.request("GET", target)
        r = c.getresponse()
        return r.status, json.loads(r.read() or b"{}")
    finally:
        c.close()


def serve_requests(srv) -> int:
    """How many credential requests the server logged."""
    return sum(1 for line in srv.log().splitlines() if "/v1/credentials" in line)


@pytest.fixture
def sockdir():
    """A directory every user may enter (pytest's tmp is 0700), removed at the end."""
    d = Path(tempfile.mkdtemp(prefix="cv-agent-", dir="/tmp"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def stack(procs, tmp_path):
    return real_stack(procs, tmp_path)


def client_yaml(stack, client=CLIENTS[0]) -> str:
    return (f"client:\n  IDP_TYPE: cognito\n  COGNITO_DOMAIN: {stack.idp_url}\n"
            f"  COGNITO_CLIENT_ID: {client['client_id']}\n  COGNITO_RESOURCE_SERVER: credvend\n"
            f"  COGNITO_CREDENTIAL_API_URL: {stack.srv.url}\n")


def socket_yaml(path, roles, mode=None, group=None, default=None) -> str:
    text = f"  - path: {path}\n    roles: [{', '.join(roles)}]\n"
    if mode:
        text += f"    mode: \"{mode}\"\n"
    if group:
        text += f"    group: {group}\n"
    if default:
        text += f"    default_role: {default}\n"
    return text


def agent_env(tmp_path, client=CLIENTS[0]) -> dict:
    env = base_env(tmp_path)
    # The secret comes from the environment (as a systemd EnvironmentFile would give it), not the YAML.
    env["COGNITO_CLIENT_SECRET"] = client["client_secret"]
    return env


def start_agent(procs, tmp_path, text, name="agent"):
    cfg = tmp_path / f"{name}.yaml"
    cfg.write_text(text)
    p = procs.start([BIN, "agent", "--config", str(cfg)], env=agent_env(tmp_path), name=name)
    wait_for_log(p.log_path, __import__("re").compile(r"listening on /"), proc=p)
    return p


def caller_arn(creds, sts_url) -> str:
    import boto3
    sts = boto3.client("sts", endpoint_url=sts_url, region_name="us-east-1", aws_access_key_id=creds["AccessKeyId"],
                       aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds.get("SessionToken") or creds.get("Token"))
    return sts.get_caller_identity()["Arn"]


def as_nobody_connect(path) -> int:
    """0 when uid/gid 65534 can connect to the socket, else the errno."""
    code = ("import socket,sys\ns=socket.socket(socket.AF_UNIX)\n"
            f"try:\n s.connect({str(path)!r}); print(0)\nexcept OSError as e:\n print(e.errno)\n")
    r = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "/usr/bin/python3",
                        "-c", code], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return int(r.stdout.strip())


def run(*args, env=None, timeout=60):
    return subprocess.run([BIN, *args], env=env or {"PATH": os.environ["PATH"]}, capture_output=True, text=True,
                          timeout=timeout)


# --- sockets, permissions, the default role -------------------------------------------------

@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give sockets other groups and to setpriv")
def test_sockets_get_their_mode_and_group_and_another_uid_is_refused_by_0600(stack, procs, tmp_path, sockdir):
    private, shared, admins = sockdir / "private.sock", sockdir / "nogroup.sock", sockdir / "adm.sock"
    start_agent(procs, tmp_path, client_yaml(stack) + "sockets:\n" + socket_yaml(private, ["default"]) +
                socket_yaml(shared, ["default"], mode="0660", group="nogroup") +
                socket_yaml(admins, ["default"], mode="0660", group="adm"))
    for path, mode, gid in [(private, 0o600, os.getgid()), (shared, 0o660, grp.getgrnam("nogroup").gr_gid),
                            (admins, 0o660, grp.getgrnam("adm").gr_gid)]:
        st = os.lstat(path)
        assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == mode and st.st_gid == gid, path
    assert as_nobody_connect(private) == errno.EACCES
    assert as_nobody_connect(admins) == errno.EACCES
    assert as_nobody_connect(shared) == 0
    # No temporary directory or socket is left beside them.
    assert sorted(p.name for p in sockdir.iterdir()) == ["adm.sock", "nogroup.sock", "private.sock"]


def test_default_role_when_none_is_asked_in_both_shapes_and_moto_takes_them(stack, procs, tmp_path, sockdir):
    sock = sockdir / "app.sock"
    agent = start_agent(procs, tmp_path, client_yaml(stack) + "sockets:\n" + socket_yaml(sock, ["default"]))
    status, creds = ask(sock)
    assert status == 200, creds
    assert list(creds) == ["Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"]
    assert caller_arn(creds, stack.moto.url) == f"arn:aws:sts::{ACCOUNT}:assumed-role/app-a/credvend-server-01"
    status, container = ask(sock, "/v1/container-credentials")
    assert status == 200
    assert set(container) == {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}
    # One cache entry per selection: the same credentials, one request to the server.
    assert container["AccessKeyId"] == creds["AccessKeyId"]
    assert serve_requests(stack.srv) == 1
    log = Path(agent.log_path).read_text()
    served = [line for line in log.splitlines() if "credentials served" in line]
    assert len(served) == 2 and all(f"uid={os.getuid()}" in s and "pid=" in s and "role=default" in s for s in served)
    for secret in (creds["SecretAccessKey"], creds["SessionToken"], CLIENTS[0]["client_secret"]):
        assert secret not in log


def test_a_role_not_on_the_socket_is_refused_with_no_request_to_the_server(stack, procs, tmp_path, sockdir):
    sock = sockdir / "logs.sock"
    start_agent(procs, tmp_path, client_yaml(stack) + "sockets:\n" + socket_yaml(sock, ["default"]))
    assert ask(sock)[0] == 200
    before = serve_requests(stack.srv)
    for target in ("/v1/credentials?role=backup", "/v1/container-credentials?role=backup"):
        status, body = ask(sock, target)
        assert status == 403 and body["error"] == "access_denied" and "backup" in body["message"]
    r = run("get-credentials", "--socket", str(sock), "--role", "backup")
    assert r.returncode == 1 and "403 access_denied" in r.stderr and r.stdout == ""
    assert serve_requests(stack.srv) == before


def test_stale_socket_is_replaced_a_live_one_refused_and_sockets_removed_on_sigterm(stack, procs, tmp_path, sockdir):
    sock = sockdir / "a.sock"
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(sock))
    stale.close()  # a socket file nobody listens on
    agent = start_agent(procs, tmp_path, client_yaml(stack) + "sockets:\n" + socket_yaml(sock, ["default"]))
    assert ask(sock)[0] == 200
    second = procs.start([BIN, "agent", "--config", str(tmp_path / "agent.yaml")], env=agent_env(tmp_path),
                         name="second")
    assert second.wait(timeout=30) == 1
    assert "another server is listening" in Path(second.log_path).read_text()
    assert ask(sock)[0] == 200
    agent.send_signal(signal.SIGTERM)
    assert agent.wait(timeout=20) == 0
    assert not sock.exists() and list(sockdir.iterdir()) == []


def test_configuration_errors_are_refused_at_start_with_line_and_key(tmp_path, sockdir):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(f"sockets:\n  - path: {sockdir}/x.sock\n    roles: [default]\n    mdoe: \"0660\"\n")
    r = run("agent", "--config", str(cfg))
    assert r.returncode == 2 and "line 4: sockets[0].mdoe: unknown key" in r.stderr, r.stderr
    cfg.write_text(f"sockets:\n  - path: {sockdir}/x.sock\n    roles: [default, logs]\n    default_role: backup\n")
    r = run("agent", "--config", str(cfg))
    assert r.returncode == 2 and "line 4: sockets[0].default_role: must be one of roles" in r.stderr, r.stderr
    assert list(sockdir.iterdir()) == []


# --- generate and get-credentials --socket ---------------------------------------------------

def test_generate_writes_each_format_0600_and_refuses_a_ttl_below_900(stack, procs, tmp_path, sockdir):
    sock = sockdir / "app.sock"
    start_agent(procs, tmp_path, client_yaml(stack) + "sockets:\n" + socket_yaml(sock, ["default"]))
    out = tmp_path / "out"
    r = run("generate", "--socket", str(sock), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["aws-credentials.env", "aws-credentials.json", "credentials"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in out.iterdir())
    creds = json.loads((out / "aws-credentials.json").read_text())
    assert caller_arn(creds, stack.moto.url).endswith(":assumed-role/app-a/credvend-server-01")
    r = run("generate", "--socket", str(sock), "--out", str(out), "--format", "json")
    assert r.returncode == 0 and json.loads((out / "container-credentials.json").read_text())["Token"]
    r = run("generate", "--socket", str(sock), "--out", "-", "--format", "env")
    assert r.returncode == 0 and f"AWS_ACCESS_KEY_ID={creds['AccessKeyId']}" in r.stdout.replace("'", "")
    r = run("generate", "--socket", str(sock), "--out", str(out), "--ttl", "600")
    assert r.returncode == 2 and "STS's minimum session of 900 s" in r.stderr
    r = run("generate", "--socket", str(sock), "--out", str(out), "--format", "yaml")
    assert r.returncode == 2


def test_generate_files_are_never_partial_under_kill_9(stack, procs, tmp_path, sockdir):
    sock = sockdir / "app.sock"
    start_agent(procs, tmp_path, client_yaml(stack) + "sockets:\n" + socket_yaml(sock, ["default"]))
    out = tmp_path / "out"
    assert run("generate", "--socket", str(sock), "--out", str(out)).returncode == 0
    for i in range(40):
        p = subprocess.Popen([BIN, "generate", "--socket", str(sock), "--out", str(out)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.002 * (i % 10))
        p.kill()
        p.wait(timeout=10)
        assert json.loads((out / "aws-credentials.json").read_text())["Version"] == 1
        assert "aws_secret_access_key = " in (out / "credentials").read_text()
        assert "AWS_SESSION_TOKEN=" in (out / "aws-credentials.env").read_text()
        assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in out.iterdir() if not f.name.startswith("."))


def test_boto3_and_the_aws_cli_through_credential_process_on_the_socket(stack, procs, tmp_path, sockdir):
    import boto3
    import botocore.session
    sock = sockdir / "app.sock"
    start_agent(procs, tmp_path, client_yaml(stack) + "sockets:\n" + socket_yaml(sock, ["default"]))
    aws_config = tmp_path / "aws-config"
    aws_config.write_text(f"[profile agent]\ncredential_process = {BIN} get-credentials --socket {sock}\n"
                          "region = us-east-1\n")
    bs = botocore.session.Session()
    bs.set_config_variable("config_file", str(aws_config))
    bs.set_config_variable("credentials_file", str(tmp_path / "none"))
    bs.set_config_variable("profile", "agent")
    session = boto3.Session(botocore_session=bs)
    assert session.client("sts", endpoint_url=stack.moto.url).get_caller_identity()["Arn"].endswith(
        ":assumed-role/app-a/credvend-server-01")
    assert session.get_credentials().method == "custom-process"
    # No IdP secret anywhere in the AWS CLI's environment.
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home"), "AWS_CONFIG_FILE": str(aws_config),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_PROFILE": "agent"}
    cli = subprocess.run(["aws", "sts", "get-caller-identity", "--endpoint-url", stack.moto.url, "--output", "json"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["Arn"].endswith(":assumed-role/app-a/credvend-server-01")


def test_agent_restarted_while_clients_poll_leaves_no_stale_socket_and_clients_recover(stack, procs, tmp_path,
                                                                                        sockdir):
    sock = sockdir / "app.sock"
    text = client_yaml(stack) + "sockets:\n" + socket_yaml(sock, ["default"])
    agent = start_agent(procs, tmp_path, text)
    results = []
    for round_ in range(3):
        for _ in range(5):
            r = run("get-credentials", "--socket", str(sock))
            results.append((round_, r.returncode))
        if round_ == 0:
            agent.send_signal(signal.SIGTERM)
            assert agent.wait(timeout=20) == 0
            assert not sock.exists()
            r = run("get-credentials", "--socket", str(sock))
            assert r.returncode == 1 and "cannot reach the agent" in r.stderr
            agent = start_agent(procs, tmp_path, text, name="agent2")
        if round_ == 1:
            agent.kill()  # no cleanup: the socket file stays, stale
            agent.wait(timeout=10)
            assert sock.exists()
            agent = start_agent(procs, tmp_path, text, name="agent3")
    assert all(code == 0 for _, code in results), results


# --- named roles ----------------------------------------------------------------------------

@pytest.fixture
def named(procs, tmp_path):
    moto = Moto(procs, tmp_path)
    app, logs, backup = moto.create_role("app-a"), moto.create_role("logs"), moto.create_role("backup")
    moto.enforce_signatures()
    idp_url, _ = start_dev_idp(procs, tmp_path)
    record = role("client-a", app, server_name="server-01",
                  roles=[{"name": "logs", "role_arn": logs}, {"name": "backup", "role_arn": backup}])
    srv = Serve(procs, tmp_path, idp_url, moto.url, [record], env=moto.source_env(),
                args=["--required-scope", "credvend/write"])

    class S:
        pass
    s = S()
    s.moto, s.idp_url, s.srv = moto, idp_url, srv
    return s


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give sockets other groups")
def test_two_sockets_with_different_roles_and_groups_each_hand_out_only_theirs(named, procs, tmp_path, sockdir):
    logs_sock, backup_sock = sockdir / "logs.sock", sockdir / "backup.sock"
    start_agent(procs, tmp_path, client_yaml(named) + "sockets:\n" +
                socket_yaml(logs_sock, ["logs"], mode="0660", group="nogroup") +
                socket_yaml(backup_sock, ["backup", "default"], mode="0660", group="adm", default="backup"))
    assert os.lstat(logs_sock).st_gid == grp.getgrnam("nogroup").gr_gid
    assert os.lstat(backup_sock).st_gid == grp.getgrnam("adm").gr_gid
    s, c = ask(logs_sock)
    assert s == 200 and ":assumed-role/logs/" in caller_arn(c, named.moto.url)
    s, c = ask(backup_sock)
    assert s == 200 and ":assumed-role/backup/" in caller_arn(c, named.moto.url)
    s, c = ask(backup_sock, "/v1/credentials?role=default")
    assert s == 200 and ":assumed-role/app-a/" in caller_arn(c, named.moto.url)
    before = serve_requests(named.srv)
    assert ask(logs_sock, "/v1/credentials?role=backup")[0] == 403
    assert ask(backup_sock, "/v1/credentials?role=logs")[0] == 403
    assert serve_requests(named.srv) == before
    assert as_nobody_connect(logs_sock) == 0 and as_nobody_connect(backup_sock) == errno.EACCES
