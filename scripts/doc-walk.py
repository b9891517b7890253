#!/usr/bin/env python3
"""Runs each doc's examples as written: in every Markdown file given, the code blocks that
follow a `<!-- doc-walk -->` line (or docs/admin.md's `<!-- admin-session -->`) are joined, in
order, into one bash script, run from the repository root under `bash -e -o pipefail -v` (so
each command is followed by what it printed). Usage: doc-walk.py DOC.md... Exit 1 if one fails.

The directory of $CREDVEND_BIN (default .build/debug) comes first on PATH after a doc's own
`export PATH=...`, so the docs' `credvend` is the binary under test; no AWS_* variable of the
caller leaks in. Each doc gets 240 s; its whole process group is stopped after it."""
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"^<!-- (doc-walk|admin-session) -->\s*$")
FENCE = re.compile(r"^```(sh|bash)\s*$")


def blocks(doc: Path) -> list[str]:
    lines, out, i = doc.read_text().splitlines(), [], 0
    while i < len(lines):
        if MARKER.match(lines[i]) and i + 1 < len(lines) and FENCE.match(lines[i + 1]):
            end = lines.index("```", i + 2)
            out.append("\n".join(lines[i + 2:end]))
            i = end
        i += 1
    return out


def walk(doc: Path) -> int:
    script = "\n".join(blocks(doc))
    if not script:
        print(f"== {doc}: no <!-- doc-walk --> block", flush=True)
        return 1
    binary = Path(os.environ.get("CREDVEND_BIN", ROOT / ".build" / "debug" / "credvend")).resolve()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PATH"] = f"{binary.parent}:{env['PATH']}"
    # A doc's own `export PATH="$PWD/.build/release:$PATH"` goes first: put the binary under test ahead of it.
    env["BASH_ENV"] = ""
    script = re.sub(r'^(export PATH="[^"]*")$', rf'\1; export PATH="{binary.parent}:$PATH"', script, flags=re.M)
    print(f"== {doc.relative_to(ROOT)}", flush=True)
    proc = subprocess.Popen(["bash", "-e", "-o", "pipefail", "-v", "-c", script], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        output += "\n(stopped after 240 s)\n"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # what the doc left running, if it failed before its `kill`
        except ProcessLookupError:
            pass
    print(output, end="" if output.endswith("\n") else "\n")
    print(f"== {doc.relative_to(ROOT)}: exit {proc.returncode}", flush=True)
    return proc.returncode


def main(docs: list[str]) -> int:
    results = [walk(Path(d).resolve()) for d in docs]
    return 0 if all(r == 0 for r in results) else 1


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__.split("\n\n")[0])
    sys.exit(main(sys.argv[1:]))
