"""Without mpi4py, unidl.distributed says what to install (runs whether or not MPI is installed)."""
from __future__ import annotations

import subprocess
import sys
import textwrap


def test_missing_mpi4py_gives_a_clear_error():
    code = textwrap.dedent("""
        import sys
        sys.modules["mpi4py"] = None            # as if mpi4py were not installed
        import unidl.distributed as d
        assert d.available() is False
        try:
            d.init()
        except d.DistributedUnavailableError as e:
            assert isinstance(e, ImportError)
            print(e)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "mpi4py" in out.stdout and 'pip install "unidl[dist]"' in out.stdout


def test_dist_kvstore_without_mpi4py_is_a_clear_mxnet_error():
    code = textwrap.dedent("""
        import sys
        sys.modules["mpi4py"] = None
        import unidl_mxnet as mx
        from unidl_mxnet import gluon
        for make in (lambda: mx.kv.create("dist_sync"),
                     lambda: gluon.Trainer(gluon.nn.Dense(2, in_units=2).collect_params(), "sgd",
                                           kvstore="dist_sync").step(1)):
            try:
                make()
            except mx.base.MXNetError as e:
                print(e)
            else:
                raise AssertionError("no error")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 2 and all("dist_sync" in ln and "mpi4py" in ln for ln in lines), lines
