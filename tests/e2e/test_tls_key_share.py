"""The key exchange groups of `credvend serve` over TLS 1.3, end to end with
`openssl s_client`: a client's first key share (X25519 for OpenSSL, Go, curl and
browsers) is taken as it is, with no HelloRetryRequest (a round trip and a second key
share on every handshake); a client that offers only P-256 still connects."""
import subprocess

from e2elib import ACCOUNT, role
from tlslib import CA, TLSServe


def s_client(port: int, *args: str) -> str:
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-msg", *args],
                       input="", capture_output=True, text=True, timeout=30)
    assert "Cipher is" in r.stdout, r.stdout + r.stderr
    return r.stdout


def test_first_key_share_taken_without_hello_retry(procs, tmp_path, issuer, sts):
    ca = CA(tmp_path, "Test CA")
    srv = TLSServe(procs, tmp_path, issuer.url, sts.url, ca, ca.server("localhost"),
                   [role("client-a", f"arn:aws:iam::{ACCOUNT}:role/app-a")],
                   env={"AWS_ACCESS_KEY_ID": "AKIDEXAMPLESOURCE", "AWS_SECRET_ACCESS_KEY": "source-secret"})
    default = s_client(srv.port, "-tls1_3")
    sent_hellos = [line for line in default.splitlines() if line.startswith(">>>") and "ClientHello" in line]
    assert len(sent_hellos) == 1, default
    assert "Server Temp Key: X25519" in default, default
    p256 = s_client(srv.port, "-tls1_3", "-groups", "P-256")
    assert "Server Temp Key: ECDH, prime256v1" in p256, p256
