import subprocess


def test_version_and_help(credvend_bin):
    out = subprocess.run([credvend_bin, "--version"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0
    assert out.stdout.strip().count(".") == 2
    out = subprocess.run([credvend_bin, "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0
    assert "credential" in out.stdout
