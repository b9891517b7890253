"""`--help` of every command reads cleanly at 80 columns: argument-parser wraps the
discussion, so no line is longer than 80 (but the USAGE line, which argument-parser keeps
whole) and no line of a paragraph stops short while the next word would have fitted
(the stub lines of text wrapped by hand at another width). Indented lines (examples,
lists) are the text's own lines and are only held to the width."""
import re
import subprocess

from conftest import BIN

WIDTH = 80


def helptext(*command: str) -> str:
    r = subprocess.run([BIN, *command, "--help"], capture_output=True, text=True, timeout=30,
                       env={"PATH": "/usr/bin:/bin", "COLUMNS": str(WIDTH)})
    assert r.returncode == 0, r.stderr
    return r.stdout


def subcommands(text: str) -> list[str]:
    section = text.split("SUBCOMMANDS:\n", 1)[1] if "SUBCOMMANDS:\n" in text else ""
    return [m.group(1) for m in re.finditer(r"^  (\S+)(?:\s+\(default\))?\s{2,}\S", section, re.M)] + \
        [m.group(1) for m in re.finditer(r"^  (\S+)(?:\s+\(default\))?$", section, re.M)]


def every_command() -> list[tuple[str, ...]]:
    found, todo = [], [()]
    while todo:
        command = todo.pop()
        found.append(command)
        todo += [command + (sub,) for sub in subcommands(helptext(*command)) if sub != "help"]
    return found


def problems(text: str) -> list[str]:
    out = []
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if len(line) > WIDTH and not line.startswith("USAGE: "):
            out.append(f"{len(line)} columns: {line!r}")
    # The overview and discussion: everything before USAGE.
    prose = lines[:next(i for i, l in enumerate(lines) if l.startswith("USAGE: "))]
    for line, following in zip(prose, prose[1:]):
        if not line or line.startswith(" ") or not following or following.startswith(" "):
            continue
        first_word = following.split(" ", 1)[0]
        # argument-parser breaks at the last space (or newline) within the next WIDTH characters.
        if len(line) + 1 + len(first_word) + 1 <= WIDTH:
            out.append(f"stops short before {first_word!r}: {line!r}")
    return out


def test_every_command_help_fits_80_columns_without_stub_lines():
    commands = every_command()
    assert ("tes",) in commands and ("roles", "import") in commands and ("dev-idp", "run") in commands
    assert len(commands) >= 15, commands
    bad = {" ".join(c) or "credvend": p for c in commands if (p := problems(helptext(*c)))}
    assert bad == {}


def test_the_checker_flags_text_wrapped_by_hand_at_another_width():
    hand_wrapped = ("OVERVIEW: Run it.\n\nValidates Cognito-style access tokens (POST /v1/credentials), maps their\n"
                    "client_id to an IAM role in the\nLMDB role store, calls STS.\n\nUSAGE: credvend serve\n")
    assert problems(hand_wrapped) == ["stops short before 'LMDB': 'client_id to an IAM role in the'"]
