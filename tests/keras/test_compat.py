"""Import aliases (keras, tensorflow.keras, tf_keras -> unidl_keras), run in subprocesses so that
this process's sys.modules stays clean."""
from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)


def test_aliases_resolve_to_unidl_keras():
    r = _run("""
        import sys
        from unidl_keras import compat
        compat.install_aliases()
        import keras, unidl_keras
        assert keras is unidl_keras
        from tensorflow import keras as tk
        assert tk is unidl_keras
        import tensorflow.keras.layers as L
        assert L is unidl_keras.layers
        from tensorflow.keras.models import Sequential
        assert Sequential is unidl_keras.Sequential
        import tf_keras
        assert tf_keras is unidl_keras
        from keras import ops
        assert ops is unidl_keras.ops
        assert unidl_keras.__spec__.name == "unidl_keras"
        try:
            import keras.no_such_module
        except ImportError:
            pass
        else:
            raise AssertionError("a missing submodule imported")
        compat.uninstall_aliases()
        assert "keras" not in sys.modules and "tensorflow" not in sys.modules
        print("ok")
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_nothing_happens_before_install():
    r = _run("""
        import sys, unidl_keras
        try:
            import tf_keras
        except ImportError:
            print("absent")
        else:
            print("real" if tf_keras is not unidl_keras else "aliased")
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() in ("absent", "real")


def test_already_imported_module_is_not_shadowed():
    r = _run("""
        import sys, types
        real = types.ModuleType("keras")
        sys.modules["keras"] = real
        from unidl_keras import compat
        compat.install_aliases()
        import keras
        assert keras is real
        import tf_keras, unidl_keras
        assert tf_keras is unidl_keras
        print("ok")
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_aliased_sequential_model_runs():
    r = _run("""
        from unidl_keras import compat
        compat.install_aliases()
        import numpy as np
        from tensorflow import keras
        m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, kernel_initializer="ones")])
        out = m(np.ones((1, 3), "float32"))
        print(out.numpy().tolist())
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[[3.0, 3.0]]"


def test_compat_delegates_to_core_aliases():
    r = _run("""
        import unidl
        from unidl import aliases as core
        from unidl_keras import compat
        assert compat.alias_map() == {"keras": "unidl_keras", "tensorflow.keras": "unidl_keras",
                                      "tf_keras": "unidl_keras"}
        assert not compat.aliases_installed()
        assert compat.install_aliases() is True and compat.install_aliases() is True
        assert core.aliases_installed() and compat.aliases_installed()
        import tensorflow
        try:
            tensorflow.constant
        except AttributeError as e:
            assert "tensorflow.constant" in str(e), e
        else:
            raise AssertionError("the tensorflow stand-in grew an attribute")
        try:
            import mxnet  # only the keras names were aliased
        except ImportError:
            pass
        else:
            import unidl_mxnet
            assert mxnet is not unidl_mxnet
        compat.uninstall_aliases()
        assert not core.aliases_installed()
        print("ok")
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"
