"""The cpu plugin's malloc tuning: on by default where glibc is, off with UNIDL_CPU_MALLOC_TUNING=0."""
import os
import platform
import subprocess
import sys

import pytest

PROBE = ("import unidl, unidl_cpu.allocator as a; unidl.zeros((2,)); "
         "print(a._applied)")


def _run(env_extra):
    env = dict(os.environ, **env_extra)
    return subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env,
                          timeout=120, check=True).stdout.strip()


@pytest.mark.skipif(not (sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"),
                    reason="the tuning only applies to glibc")
def test_tuning_is_applied_when_the_cpu_plugin_registers():
    assert _run({}) == "True"


def test_tuning_can_be_turned_off():
    assert _run({"UNIDL_CPU_MALLOC_TUNING": "0"}) == "False"
