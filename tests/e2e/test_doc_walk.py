"""The docs' walkthroughs, run as written by scripts/doc-walk.py (docs/client.md, docs/tes.md,
docs/admin.md): each must exit 0 and print what the doc says it prints. The combined output
goes to $CREDVEND_DOC_WALK (default /tmp/credvend-doc-walk.txt)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BIN, ROOT

OUTPUT = Path(os.environ.get("CREDVEND_DOC_WALK", "/tmp/credvend-doc-walk.txt"))
EXPECTED = {
    "docs/client.md": ['"Arn": "arn:aws:sts::123456789012:assumed-role/oidc-s3-dev-server-01/credvend-server-01"',
                       '{"Version":1,"AccessKeyId":"ASIA', "INFO credvend.credential-daemon: credentials written",
                       "aws-credentials.env\naws-credentials.json\ncredentials\n"],
    "docs/tes.md": ['{"status":"ok","expiration":"', '"Token":"fake-iot-session-',
                    '{"code":"access_denied","message":"the Authorization header is not the token in the authz token file"}',
                    "container-role ASIA", "listening on 127.0.0.1:12911"],
    "docs/admin.md": ['stored role mapping for client_id "app-01"', "\n204\n",
                      '{"error":"access_denied","message":"client_id app-01 has no role mapping', '"type":"vend"'],
}


@pytest.fixture(scope="module", autouse=True)
def fresh_output():
    OUTPUT.write_text("")


@pytest.mark.parametrize("doc", sorted(EXPECTED))
def test_the_docs_examples_run_as_written(doc):
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "doc-walk.py"), str(ROOT / doc)], capture_output=True,
                       text=True, timeout=300, env=dict(os.environ, CREDVEND_BIN=BIN))
    with OUTPUT.open("a") as f:
        f.write(r.stdout + r.stderr)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    missing = [text for text in EXPECTED[doc] if text not in r.stdout]
    assert missing == [], r.stdout[-3000:]
