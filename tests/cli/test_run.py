"""``unidl run SCRIPT``: unmodified Keras / MXNet scripts on the unidl frontends, and its error messages."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import unidl


def _env():
    return {k: v for k, v in os.environ.items() if not k.startswith("UNIDL_")}


def _run(tmp_path, body, *args, opts=(), name="script.py"):
    script = tmp_path / name
    script.write_text(textwrap.dedent(body))
    proc = subprocess.run([sys.executable, "-m", "unidl", "run", *opts, str(script), *args], cwd=tmp_path,
                          capture_output=True, text=True, env=_env(), timeout=60)
    return proc, str(script)


def test_keras_import_forms_resolve_to_unidl_keras(tmp_path):
    proc, _ = _run(tmp_path, """
        import keras
        import keras as k2
        from keras import layers as L
        from tensorflow import keras as tk
        import tensorflow.keras.layers
        import tensorflow as tf
        import tf_keras
        from tensorflow.keras.models import Sequential
        import unidl_keras
        assert keras is unidl_keras and k2 is keras and tk is keras and tf_keras is keras
        assert tf.keras is keras and tensorflow.keras.layers is unidl_keras.layers and L is unidl_keras.layers
        assert Sequential is unidl_keras.Sequential
        model = keras.Sequential([L.Dense(3)])
        print("ok", type(model).__name__, model(keras.ops.ones((2, 4))).shape)
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["ok", "Sequential", "(2,", "3)"]


def test_mxnet_import_forms_resolve_to_unidl_mxnet(tmp_path):
    proc, _ = _run(tmp_path, """
        import mxnet as mx
        from mxnet import gluon, nd, autograd
        import mxnet.gluon.nn as nn
        import mxnet.ndarray
        import unidl_mxnet
        assert mx is unidl_mxnet and nn is unidl_mxnet.gluon.nn and nd is unidl_mxnet.nd
        assert mxnet.ndarray is unidl_mxnet.ndarray and autograd is unidl_mxnet.autograd
        x = nd.array([1.0, 2.0, 3.0])
        x.attach_grad()
        with autograd.record():
            y = (x * x).sum()
        y.backward()
        print(x.grad.asnumpy().tolist())
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[2.0, 4.0, 6.0]"


def test_argv_main_and_script_dir_like_python(tmp_path):
    (tmp_path / "helper_mod.py").write_text("VALUE = 41\n")
    proc, script = _run(tmp_path, """
        import sys
        import helper_mod
        if __name__ == "__main__":
            print(sys.argv[1:], helper_mod.VALUE + 1, sys.argv[0].endswith("script.py"))
    """, "--epochs", "2", "pos")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['--epochs', '2', 'pos'] 42 True"


@pytest.mark.parametrize("body,code,err", [
    ("import sys\nsys.exit(3)\n", 3, ""),
    ("import sys\nsys.exit()\n", 0, ""),
    ("import sys\nsys.exit('bad input file')\n", 1, "bad input file"),
    ("raise SystemExit(7)\n", 7, ""),
])
def test_script_exit_status_is_propagated(tmp_path, body, code, err):
    proc, _ = _run(tmp_path, body)
    assert proc.returncode == code
    assert err in proc.stderr


def test_missing_keras_attribute_names_api_file_and_line(tmp_path):
    proc, script = _run(tmp_path, """
        import keras

        model = keras.Sequential()
        model.add(keras.layers.Foo(3))
    """)
    assert proc.returncode == 1
    assert "`keras.layers.Foo` is not yet supported by unidl" in proc.stderr
    assert f"{script}, line 5" in proc.stderr
    assert "Traceback" not in proc.stderr and "AttributeError" not in proc.stderr


def test_missing_mxnet_attribute_as_written_and_import_from(tmp_path):
    proc, script = _run(tmp_path, """
        import mxnet as mx
        y = mx.nd.some_missing(3)
    """)
    assert proc.returncode == 1
    assert "`mx.nd.some_missing`" in proc.stderr and "not yet supported by unidl" in proc.stderr
    assert f"{script}, line 3" in proc.stderr and "Traceback" not in proc.stderr

    proc, script = _run(tmp_path, "import os\nfrom keras.layers import Dense, NoSuchLayer\n")
    assert proc.returncode == 1
    assert "`keras.layers.NoSuchLayer` is not yet supported by unidl" in proc.stderr
    assert f"{script}, line 2" in proc.stderr


def test_unsupported_modules_name_what_the_frontend_implements(tmp_path):
    proc, script = _run(tmp_path, "import mxnet as mx\nimport mxnet.module\n")
    assert proc.returncode == 1
    assert "`mxnet.module` is not yet supported by unidl (unidl_mxnet implements" in proc.stderr
    assert "mxnet.gluon" in proc.stderr and f"{script}, line 2" in proc.stderr

    proc, script = _run(tmp_path, "import tensorflow as tf\nx = tf.constant(1.0)\n")
    assert proc.returncode == 1
    assert "`tensorflow.constant` is not supported by unidl" in proc.stderr
    assert "tensorflow.keras" in proc.stderr and f"{script}, line 2" in proc.stderr


def test_scripts_may_catch_unsupported_imports(tmp_path):
    proc, _ = _run(tmp_path, """
        try:
            import mxnet.contrib.onnx
        except ImportError as e:
            print("fallback:", type(e).__name__)
        import keras
        print(hasattr(keras.layers, "Foo"))
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["fallback:", "UnsupportedModuleError", "False"]


def test_errors_inside_unidl_show_only_user_frames_unless_traceback(tmp_path):
    body = """
        import keras

        def build():
            return keras.layers.Dense(-1)

        build()
    """
    proc, script = _run(tmp_path, body)
    assert proc.returncode == 1
    assert f'File "{script}", line 7' in proc.stderr and f'File "{script}", line 5' in proc.stderr
    assert "units" in proc.stderr and "inside unidl hidden" in proc.stderr
    assert "unidl_keras" not in proc.stderr

    proc, _ = _run(tmp_path, body, opts=("--traceback",))
    assert proc.returncode == 1 and "unidl_keras" in proc.stderr


def test_device_option(tmp_path):
    body = "import unidl\nprint(unidl.default_device())\n"
    proc, _ = _run(tmp_path, body, opts=("--device", "cpu"))
    assert proc.returncode == 0 and proc.stdout.strip() == "cpu"
    proc, _ = _run(tmp_path, body, opts=("--device", "nosuch"))
    assert proc.returncode == 1 and "unknown device type 'nosuch'" in proc.stderr
    try:
        unidl.device("cuda")
        has_cuda = True
    except unidl.UnidlError:
        has_cuda = False
    proc, _ = _run(tmp_path, body, opts=("--device", "cuda"))
    if has_cuda:
        assert proc.returncode == 0 and proc.stdout.strip().startswith("cuda")
    else:
        assert proc.returncode == 1 and "--device cuda:" in proc.stderr and "cuda" in proc.stderr


def test_missing_script_and_syntax_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "unidl", "run", str(tmp_path / "nope.py")], capture_output=True,
                          text=True, env=_env(), timeout=60)
    assert proc.returncode == 2 and "cannot open script" in proc.stderr
    proc, script = _run(tmp_path, "x = 1\ny = (\n")
    assert proc.returncode == 2 and f"{script}, line 2: syntax error" in proc.stderr


def test_install_aliases_python_api_is_a_context_manager(monkeypatch):
    import importlib

    import unidl_keras
    import unidl_mxnet

    for name in [m for m in sys.modules if m.split(".")[0] in ("keras", "mxnet", "tensorflow", "tf_keras")]:
        monkeypatch.delitem(sys.modules, name)  # another test may have aliased them; restored afterwards
    with unidl.install_aliases() as handle:
        assert handle.aliases["tensorflow.keras"] == "unidl_keras"
        assert importlib.import_module("keras.layers") is unidl_keras.layers
        assert importlib.import_module("mxnet.gluon.nn") is unidl_mxnet.gluon.nn
        assert importlib.import_module("tensorflow").keras is unidl_keras
        with pytest.raises(ImportError, match="mxnet.module"):
            importlib.import_module("mxnet.module")
    for name in ("keras", "keras.layers", "mxnet", "mxnet.gluon.nn", "tensorflow"):
        assert name not in sys.modules
    with unidl.install_aliases(frameworks=["mxnet"]) as handle:
        assert set(handle.aliases) == {"mxnet"}
    with pytest.raises(ValueError, match="no registered frontend provides 'caffe'"):
        unidl.install_aliases(["caffe"])
    assert not unidl.aliases.aliases_installed()
