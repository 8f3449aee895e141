"""The ``unidl`` command: dispatch, help, version, and ``unidl plugins`` on the installed plugins."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

import unidl
from unidl.cli import main as cli


def _env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("UNIDL_")}
    return env


def test_every_command_module_has_the_interface():
    for name, modname in cli.COMMANDS.items():
        mod = __import__(modname, fromlist=["run"])
        assert isinstance(mod.HELP, str) and callable(mod.add_arguments) and callable(mod.run), name


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for name in cli.COMMANDS:
        assert name in out


def test_no_command_prints_help_and_fails(capsys):
    assert cli.main([]) == 2
    assert "usage: unidl" in capsys.readouterr().out


def test_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["frobnicate"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"unidl {unidl.__version__}"


def test_plugins_command_in_process(capsys):
    assert cli.main(["plugins"]) == 0
    out = capsys.readouterr().out
    sections = [ln for ln in out.splitlines() if ln and not ln.startswith(" ")]
    assert sections == ["Plugins", "Device types", "Failures"]
    cpu = next(ln.split() for ln in out.splitlines() if ln.split()[:1] == ["cpu"])
    assert cpu[:2] == ["cpu", "loaded"] and int(cpu[-1]) > 0
    devs = out[out.index("Device types"):out.index("Failures")]
    assert any(ln.split()[:3] == ["cpu", "cpu", "available"] for ln in devs.splitlines())


def test_python_dash_m_unidl():
    res = subprocess.run([sys.executable, "-m", "unidl", "plugins"], capture_output=True, text=True,
                         env=_env(), timeout=120)
    assert res.returncode == 0, res.stderr
    assert "Plugins" in res.stdout and "Failures" in res.stdout


@pytest.mark.skipif(shutil.which("unidl") is None, reason="the console script is not on PATH")
def test_console_script():
    res = subprocess.run(["unidl", "plugins"], capture_output=True, text=True, env=_env(), timeout=120)
    assert res.returncode == 0, res.stderr
    assert any(ln.split()[:2] == ["cpu", "loaded"] for ln in res.stdout.splitlines())


def test_blocked_plugin_shows_as_blocked():
    env = _env()
    env["UNIDL_DISABLE_PLUGINS"] = "cpu"
    res = subprocess.run([sys.executable, "-m", "unidl", "plugins"], capture_output=True, text=True, env=env,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert any(ln.split()[:2] == ["cpu", "blocked"] for ln in res.stdout.splitlines())
    devices = res.stdout.split("Device types\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert not any(ln.split()[:1] == ["cpu"] for ln in devices), res.stdout  # only the blocked plugin had it
