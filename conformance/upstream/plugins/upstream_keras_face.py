"""pytest plugin putting unidl's Keras face under the name ``keras`` (and ``keras.src``) before any test
module imports.

Keras's own tests are modules of the package ``keras.src`` (``keras/src/ops/numpy_test.py`` is imported
as ``keras.src.ops.numpy_test``) and import the library through ``keras.src.*``. This plugin adds one
finder in front of unidl's aliases that, for every name below ``keras.src``:

* loads the test modules (``*_test``) and Keras's own testing helpers (``keras.src.testing``) from the
  checkout, untouched;
* installs the few helper-only stand-ins listed in ``KERAS_HELPER_STUBS`` (suites.py), and loads from
  the checkout the Keras modules only the tests' reference code uses (``CHECKOUT_HELPERS``, also listed);
* maps everything else onto the face: ``keras.src.X`` -> ``unidl_keras.X``; a module the face lacks
  raises UnsupportedModuleError naming it. ``keras.src`` itself is a small package whose attributes
  are those submodules (``from keras.src import ops``), so that ``from keras.src import testing``
  reaches the checkout's helpers rather than the face.

The checkout is ``$UNIDL_UPSTREAM_CHECKOUT`` (set by the runner), else the current directory.
"""
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys

import unidl
from unidl.aliases import AliasFinder, UnsupportedModuleError, _AliasLoader

unidl.install_aliases(["keras"])

try:  # as `import keras` does: NumPy then knows bfloat16/float8 by name, which the tests' parameter lists
    import ml_dtypes  # noqa: F401  (build at collection: np.array(0, dtype="bfloat16"))
except ImportError:
    pass

SRC, FACE = "keras.src", "unidl_keras"
CHECKOUT = os.path.abspath(os.environ.get("UNIDL_UPSTREAM_CHECKOUT") or os.getcwd())


def _traceback_utils(mod):
    mod.is_traceback_filtering_enabled = lambda: False
    mod.enable_traceback_filtering = lambda: None
    mod.disable_traceback_filtering = lambda: None


def _global_state(mod):
    def clear_session(free_memory=True):
        from unidl_keras.utils import clear_session as _clear

        _clear(free_memory=free_memory)

    mod.clear_session = clear_session


def _torch_package(mod):
    mod.__path__ = []


def _torch_trainer(mod):
    from unidl_keras.trainers.trainer import Trainer

    mod.TorchTrainer = Trainer


STUB_BUILDERS = {
    "keras.src.utils.traceback_utils": _traceback_utils,
    "keras.src.backend.common.global_state": _global_state,
    "keras.src.backend.torch": _torch_package,
    "keras.src.backend.torch.trainer": _torch_trainer,
}


# Keras library modules loaded from the checkout because only the tests' own NumPy reference code uses
# them (conv_transpose_test's np_conv*_transpose computes its expected shapes and paddings with them)
CHECKOUT_HELPERS = {"keras.src.backend.common.backend_utils"}


def _check_stub_list():
    try:
        from unidl_conformance.upstream.suites import KERAS_HELPER_STUBS
    except ImportError:  # the runner package is not importable: nothing to check against
        return
    mine = set(STUB_BUILDERS) | CHECKOUT_HELPERS
    if set(KERAS_HELPER_STUBS) != mine:
        raise RuntimeError(f"upstream_keras_face: helper stand-ins {sorted(mine)} differ from the list in "
                           f"suites.KERAS_HELPER_STUBS {sorted(KERAS_HELPER_STUBS)}")


class _StubLoader(importlib.abc.Loader):
    def __init__(self, build):
        self.build = build

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__doc__ = f"Helper-only stand-in for {module.__name__} (unidl upstream runner)."
        self.build(module)


def _from_checkout(fullname: str) -> bool:
    last = fullname.rpartition(".")[2]
    return (fullname == SRC + ".testing" or fullname.startswith(SRC + ".testing.")
            or last.endswith("_test") or last == "conftest" or fullname in CHECKOUT_HELPERS)


class _SrcPackageLoader(importlib.abc.Loader):
    """``keras.src``: a package whose attributes are its submodules, imported on first use."""

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__doc__ = "keras.src on unidl: submodules map onto unidl_keras (upstream runner)."

        def __getattr__(name):
            if name.startswith("__") and name != "__version__":
                raise AttributeError(name)
            try:
                return importlib.import_module(f"{SRC}.{name}")
            except ImportError as exc:
                # keras/src/__init__.py also re-exports a few classes (Model, Sequential, Layer, ...)
                where = {"Model": "models", "Sequential": "models", "Functional": "models", "Layer": "layers",
                         "Input": "layers", "KerasTensor": "backend", "__version__": ""}.get(name)
                if where is not None:
                    return getattr(importlib.import_module(f"{FACE}.{where}".rstrip(".")), name)
                # not a submodule: an ordinary missing attribute (hasattr is False)
                raise AttributeError(f"module {SRC!r} has no attribute {name!r} ({exc})") from None

        module.__getattr__ = __getattr__


class KerasSrcFinder(importlib.abc.MetaPathFinder):
    """Maps ``keras.src.*`` onto the face, the checkout's tests and helpers, or a helper-only stand-in."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith(FACE + "."):
            # ``from keras.src.utils import traceback_utils`` asks the face package (unidl_keras.utils) for
            # the child by the face's name: hand it the stand-in / checkout module instead
            src = SRC + fullname[len(FACE):]
            if src in STUB_BUILDERS or _from_checkout(src):
                return importlib.machinery.ModuleSpec(fullname, _AliasLoader(src))
            return None
        if fullname != SRC and not fullname.startswith(SRC + "."):
            return None
        if fullname == SRC:
            return importlib.machinery.ModuleSpec(fullname, _SrcPackageLoader(), is_package=True)
        if fullname in STUB_BUILDERS:
            return importlib.machinery.ModuleSpec(fullname, _StubLoader(STUB_BUILDERS[fullname]), is_package=True)
        if _from_checkout(fullname):
            base = os.path.join(CHECKOUT, *fullname.split("."))
            if os.path.isdir(base):
                init = os.path.join(base, "__init__.py")
                return importlib.util.spec_from_file_location(fullname, init, submodule_search_locations=[base])
            if os.path.exists(base + ".py"):
                return importlib.util.spec_from_file_location(fullname, base + ".py")
            return None
        target = FACE + fullname[len(SRC):]
        resolved = AliasFinder._resolve(target)
        if resolved is None:
            raise UnsupportedModuleError(f"`{fullname}` is not provided by unidl's Keras face (no {target})",
                                         name=fullname)
        # always a package: Keras nests modules where the face has one file (keras.src.backend.common is
        # a folder; unidl_keras.backend.common a module), and the import system asks a parent for
        # __path__ before it asks the finders (this one first) for the child
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(resolved), is_package=True)


_check_stub_list()
sys.meta_path.insert(0, KerasSrcFinder())
