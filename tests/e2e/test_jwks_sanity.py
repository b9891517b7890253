"""JWKS sanity end to end: the issuer publishes good keys next to keys credvend must
not use (absurd RSA exponent, modulus out of 2048-8192 bits, EC points off their
curve, `use`/`alg` that rule a key out, one kid on two different keys). The server
logs one line per skipped key naming its kid and why, tokens from the good keys
still vend, and every token naming a skipped kid is 401."""
import base64
import json
import os
import re

from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from e2elib import ACCOUNT, Serve, b64url, role, unsigned_token, wait_for_log

ARN = f"arn:aws:iam::{ACCOUNT}:role/app-a"
FAKE_SRC = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLESOURCE", "AWS_SECRET_ACCESS_KEY": "source-secret-do-not-log"}
SKIP_RE = re.compile(r'WARNING credvend\.serve: JWKS key skipped index=(\d+) kid=("(?:[^"\\]|\\.)*") '
                     r'reason=("(?:[^"\\]|\\.)*")$', re.M)


class RawKey(dict):
    """A key published exactly as given (the issuer fixture publishes `as_dict()`)."""

    @property
    def kid(self):
        return self["kid"]

    def as_dict(self, private=False):
        return dict(self)


def b64int(n: int) -> str:
    return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def odd_modulus(bits: int) -> int:
    """An odd number exactly `bits` long (building and refusing keys needs no primes)."""
    return (1 << (bits - 1)) | int.from_bytes(os.urandom(bits // 8), "big") % (1 << (bits - 2)) | 1


def rsa_raw(kid, n, e=65537, **extra):
    return RawKey(kty="RSA", kid=kid, n=b64int(n), e=b64int(e), **extra)


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def with_params(key, **extra):
    """The public JWK of a joserfc key, with other members."""
    return RawKey({**key.as_dict(private=False), **extra})


def forged(issuer, kid, alg, signature_bytes):
    """A token naming `kid` whose signature is random bytes of the key's exact length."""
    return unsigned_token({"alg": alg, "kid": kid}, issuer.claims("client-a"), os.urandom(signature_bytes))


def test_bad_keys_are_skipped_and_logged_good_keys_still_work(procs, tmp_path, issuer, sts):
    good_ec = ECKey.generate_key("P-256", parameters={"kid": "good-ec", "use": "sig"})
    enc = RSAKey.generate_key(2048, parameters={"kid": "enc-use"})
    ec_as_rs = ECKey.generate_key("P-256", parameters={"kid": "alg-not-ec"})
    p256_as_es384 = ECKey.generate_key("P-256", parameters={"kid": "alg-other-curve"})
    twin_a = RSAKey.generate_key(2048, parameters={"kid": "twice"})
    twin_b = RSAKey.generate_key(2048, parameters={"kid": "twice"})
    off = with_params(ECKey.generate_key("P-256", parameters={"kid": "off-curve"}))
    y = bytearray(b64decode(off["y"]))
    y[-1] ^= 1
    off["y"] = b64url(bytes(y))
    evil_kid = "evil\n2026-01-01T00:00:00.000Z INFO credvend.serve: forged \"line\""
    bad = {
        "big-exponent": (rsa_raw("big-exponent", odd_modulus(3072), (1 << 3070) | 1),
                         "RSA public key: RSA public exponent is 3071 bits; at most 31 are accepted"),
        "exponent-2^32+1": (rsa_raw("exponent-2^32+1", odd_modulus(2048), (1 << 32) | 1),
                            "RSA public key: RSA public exponent is 33 bits; at most 31 are accepted"),
        "even-exponent": (rsa_raw("even-exponent", odd_modulus(2048), 65536),
                          "RSA public key: RSA public exponent must be odd and at least 3 (keys use 65537)"),
        "small-modulus": (rsa_raw("small-modulus", odd_modulus(2047)),
                          "RSA public key: RSA modulus is 2047 bits; at least 2048 are required"),
        "huge-modulus": (rsa_raw("huge-modulus", odd_modulus(8200)),
                         "RSA public key: RSA modulus is 8200 bits; at most 8192 are accepted"),
        "off-curve": (off, "EC public key: (x, y) is not a valid P-256 point"),
        "enc-use": (with_params(enc, use="enc"),
                    'use "enc" is not "sig": the key is not published for signatures'),
        "alg-not-ec": (with_params(ec_as_rs, alg="RS256"), 'alg RS256 does not fit an EC key on curve "P-256"'),
        "alg-other-curve": (with_params(p256_as_es384, alg="ES384"),
                            'alg ES384 does not fit an EC key on curve "P-256"'),
        evil_kid: (rsa_raw(evil_kid, odd_modulus(1024)),
                   "RSA public key: RSA modulus is 1024 bits; at least 2048 are required"),
    }
    ambiguous = ("the kid is also on key {} with other contents; which one the issuer signs with is ambiguous, "
                 "so no key with this kid is used")
    issuer.keys = [issuer.keys[0], with_params(twin_a), good_ec] + [k for k, _ in bad.values()] + [
        with_params(twin_b)]
    twin_indexes = (1, len(issuer.keys) - 1)

    srv = Serve(procs, tmp_path, issuer.url, sts.url, [role("client-a", ARN)], env=FAKE_SRC)
    wait_for_log(srv.proc.log_path, re.compile(r"JWKS loaded"), proc=srv.proc)
    lines = [l for l in srv.log().splitlines() if "JWKS key skipped" in l]
    parsed = [SKIP_RE.search(l) for l in lines]
    assert all(parsed), lines
    skips = [(json.loads(m.group(2)), int(m.group(1)), json.loads(m.group(3))) for m in parsed]
    assert len(skips) == len(bad) + 2, lines  # one line per bad key, each twin included
    by_kid = {kid: (index, reason) for kid, index, reason in skips}
    for kid, (_, reason) in bad.items():
        assert kid in by_kid, (kid, lines)
        assert by_kid[kid][1].startswith(reason), (kid, by_kid[kid])
    a, b = twin_indexes
    assert [(i, r) for k, i, r in skips if k == "twice"] == [(a, ambiguous.format(b)), (b, ambiguous.format(a))]
    # The kid with a newline stayed inside its own line.
    assert not any(l.startswith("2026-01-01T00:00:00.000Z") for l in srv.log().splitlines())
    assert re.search(r'JWKS loaded kids=\["good-ec","rsa-1"\]', srv.log()), srv.log()

    # The good keys of the same set still vend.
    assert srv.vend(issuer.mint("client-a"))[0] == 200
    assert srv.vend(issuer.mint("client-a", key=good_ec))[0] == 200

    # Tokens naming a skipped kid: genuinely signed where the issuer holds the private key, forged otherwise.
    tokens = {
        "enc-use": issuer.mint("client-a", key=enc),
        "alg-not-ec": issuer.mint("client-a", key=ec_as_rs),
        "alg-other-curve": issuer.mint("client-a", key=p256_as_es384),
        "twice": issuer.mint("client-a", key=twin_a),
        "twice (second)": issuer.mint("client-a", key=twin_b),
        "big-exponent": forged(issuer, "big-exponent", "RS256", 384),
        "exponent-2^32+1": forged(issuer, "exponent-2^32+1", "RS256", 256),
        "small-modulus": forged(issuer, "small-modulus", "RS256", 256),
        "huge-modulus": forged(issuer, "huge-modulus", "RS256", 1025),
        "off-curve": forged(issuer, "off-curve", "ES256", 64),
    }
    for name, token in tokens.items():
        st, hdrs, body = srv.vend(token)
        assert st == 401 and body.get("error") == "invalid_token", (name, st, body)
    assert len(sts.calls) == 1, "only the first good token reached STS (the second got the cached credentials)"
