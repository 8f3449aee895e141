"""The Keras 3 ``.weights.h5`` store (also ``model.weights.h5`` inside a ``.keras`` archive).

Layout (FORMATS.md 7.5): every saveable object at path ``P`` owns group ``P/vars`` (attribute
``name`` = the object's ``.name``) holding datasets ``"0"``, ``"1"``, ... in variable order (trainable
then non-trainable). The model itself is ``vars`` at the root. Children are walked as Keras walks
them: for Sequential/Functional models first ``layers`` (group names ``layers/<snake_case class>[_k]``,
never ``layer.name``), then every attribute holding a layer, optimizer, or list/dict of them, sorted
by name with private names last (``cell``, ``forward_layer``, ``_dropout_layer`` ...). An object met
twice (a shared layer) is stored once, at its first path. ``optimizer/vars`` holds the optimizer's
variables. Readers sort dataset names numerically and do not require the ``name`` attribute.
"""
from __future__ import annotations

import io
import warnings
from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

import numpy as np

from .errors import LoadError

from ..backend.common import snake_case

# instance attributes of the base classes (Layer, Model/Trainer, Sequential, Functional): never children
_BASE_INSTANCE_ATTRS = frozenset({
    "_layers", "_input_layer", "_functional", "_inbound_nodes", "_nodes", "_inputs_struct", "_outputs_struct",
    "inputs", "outputs", "_loss_tracker", "_compile_loss", "_compile_metrics", "_compile_config", "loss", "history",
    "_trainable_variables", "_non_trainable_variables", "_losses", "_initial_weights", "activity_regularizer",
    "optimizer", "_last_io_shapes", "_build_shapes",
})
_MAX_DATASET_BYTES = 1 << 34  # refuse a single dataset over 16 GiB (a crafted header)


class WeightsLoadError(LoadError):
    """A weights file is damaged, unsafe, or does not fit the model (counts, shapes, or structure)."""


# -- walking -----------------------------------------------------------------------------------------

def _is_optimizer(x: Any) -> bool:
    try:
        from ..optimizers.base_optimizer import Optimizer
    except ImportError:  # pragma: no cover - optimizers not installed
        return False
    return isinstance(x, Optimizer)


def _is_saveable(x: Any) -> bool:
    from ..layers.layer import Layer

    return isinstance(x, Layer) or _is_optimizer(x)


def _has_saveables(x: Any) -> bool:
    if isinstance(x, dict):
        x = list(x.values())
    return isinstance(x, (list, tuple)) and any(_is_saveable(v) or isinstance(v, (list, tuple, dict)) and
                                                _has_saveables(v) for v in x)


_BASE_NAMES: Dict[type, Set[str]] = {}


def _base_names(obj: Any) -> Set[str]:
    """Attribute names of the framework base classes of ``obj`` (Keras's attribute skip-set)."""
    from ..layers.layer import Layer
    from ..models.functional import Functional
    from ..models.model import Model
    from ..models.sequential import Sequential

    key = type(obj)
    names = _BASE_NAMES.get(key)
    if names is None:
        names = set(dir(Layer))
        for base in (Model, Sequential, Functional):
            if isinstance(obj, base):
                names |= set(dir(base))
        _BASE_NAMES[key] = names
    return names


def children(obj: Any, include_optimizer: bool = True) -> List[Tuple[str, Any]]:
    """(attribute, child) pairs of ``obj`` that hold saveables, in Keras's walk order."""
    from ..models.functional import Functional
    from ..models.model import Model
    from ..models.sequential import Sequential
    from .serialization import keras_layer_order

    out: List[Tuple[str, Any]] = []
    if _is_optimizer(obj):
        return out
    if isinstance(obj, Functional):
        out.append(("layers", keras_layer_order(obj)))
    elif isinstance(obj, Sequential):
        out.append(("layers", obj.layers))
    base = _base_names(obj)
    cls = type(obj)
    names = set(vars(obj))
    names |= {n for n in dir(cls) if n not in base and isinstance(getattr(cls, n, None), property)}
    if isinstance(obj, Model) and include_optimizer and getattr(obj, "optimizer", None) is not None:
        names.add("optimizer")
    for name in sorted(names, key=lambda n: (n.startswith("_"), n)):
        if name.startswith("__") or (name in base and name != "optimizer"):
            continue
        if name in _BASE_INSTANCE_ATTRS and not (name == "optimizer" and isinstance(obj, Model) and include_optimizer):
            continue
        try:
            value = getattr(obj, name)
        except Exception:  # noqa: BLE001 - a property that cannot be computed has no state to save
            continue
        if _is_saveable(value) and not _is_metric_or_loss(value):
            if _is_optimizer(value) or _tracked(obj, value):
                out.append((name, value))
        elif isinstance(value, (list, tuple, dict)) and _has_saveables(value):
            if any(_tracked(obj, v) for v in _flat_layers(value)):
                out.append((name, value))
    return out


def _tracked(owner: Any, layer: Any) -> bool:
    """Whether ``layer`` is one of ``owner``'s tracked sub-layers (an untracked attribute, such as a
    wrapper's template layer, holds no state of the owner)."""
    tracked = getattr(owner, "_layers", None)
    return tracked is None or any(layer is x for x in tracked)


def _flat_layers(value: Any) -> List[Any]:
    if isinstance(value, dict):
        value = list(value.values())
    out: List[Any] = []
    for v in value:
        if isinstance(v, (list, tuple, dict)):
            out.extend(_flat_layers(v))
        elif _is_saveable(v):
            out.append(v)
    return out


def _is_metric_or_loss(x: Any) -> bool:
    mod = type(x).__module__ or ""
    return mod.startswith(("unidl_keras.metrics", "unidl_keras.losses"))


def walk(root: Any, include_optimizer: bool = True, skip: Optional[Set[int]] = None,
         skipped: Optional[List[str]] = None) -> Iterator[Tuple[str, Any]]:
    """(path, object) for every saveable under ``root`` (root first at path ``""``), each object once.
    Objects whose ``id`` is in ``skip`` are left out with everything below them (Keras's ``objects_to_skip``);
    their paths are appended to ``skipped``."""
    visited: Set[int] = set()

    def visit(obj: Any, path: str) -> Iterator[Tuple[str, Any]]:
        if skip and id(obj) in skip:
            if skipped is not None:
                skipped.append(path)
            return
        if id(obj) in visited:
            return
        visited.add(id(obj))
        yield path, obj
        for attr, child in children(obj, include_optimizer):
            p = f"{path}/{attr}" if path else attr
            if _is_saveable(child):
                yield from visit(child, p)
            else:
                yield from container(child, p)

    def container(value: Any, path: str) -> Iterator[Tuple[str, Any]]:
        used: Dict[str, int] = {}
        items = list(value.values()) if isinstance(value, dict) else list(value)
        for item in items:
            if _is_saveable(item):
                name = snake_case(type(item).__name__)
                if name in used:
                    used[name] += 1
                    name = f"{name}_{used[name]}"
                else:
                    used[name] = 0
                yield from visit(item, f"{path}/{name}")
            elif isinstance(item, (list, tuple, dict)) and _has_saveables(item):
                name = "container"
                if name in used:
                    used[name] += 1
                    name = f"{name}_{used[name]}"
                else:
                    used[name] = 0
                yield from container(item, f"{path}/{name}")

    yield from visit(root, "")


def _vars_path(path: str) -> str:
    return f"{path}/vars" if path else "vars"


# -- own variables -----------------------------------------------------------------------------------

def own_variables(obj: Any) -> List[Any]:
    """The variables ``obj`` itself owns, in Keras's order (trainable, then non-trainable)."""
    if _is_optimizer(obj):
        return list(obj.variables)
    return list(obj._trainable_variables) + list(obj._non_trainable_variables)


def _own_arrays(obj: Any) -> List[np.ndarray]:
    save = getattr(obj, "save_own_variables", None)
    if callable(save):
        store: Dict[str, Any] = {}
        save(store)
        return [np.asarray(store[str(i)]) for i in range(len(store))]
    return [np.asarray(v.numpy()) for v in own_variables(obj)]


# -- writing -----------------------------------------------------------------------------------------

def write_weights(model: Any, f: Any, include_optimizer: bool = True, skip: Optional[Set[int]] = None) -> None:
    """Write ``model``'s state into the open h5py file ``f`` (leaving out the objects whose ids are in ``skip``)."""
    for path, obj in walk(model, include_optimizer, skip):
        group = f.require_group(_vars_path(path))
        name = getattr(obj, "name", None)
        if isinstance(name, str):
            group.attrs["name"] = name
        for i, arr in enumerate(_own_arrays(obj)):
            ds = group.create_dataset(str(i), data=arr)
            if arr.dtype.name == "bfloat16":  # as Keras: the raw 16-bit words, marked (read back by read_dataset)
                ds.attrs["dtype"] = "bfloat16"


def weights_to_bytes(model: Any, include_optimizer: bool = True, skip: Optional[Set[int]] = None) -> bytes:
    """The bytes of a ``.weights.h5`` file holding ``model``'s state."""
    import h5py

    bio = io.BytesIO()
    with h5py.File(bio, "w") as f:
        write_weights(model, f, include_optimizer, skip)
    return bio.getvalue()


# -- reading -----------------------------------------------------------------------------------------

def sorted_dataset_names(group: Any) -> List[str]:
    """Dataset names of a ``vars`` group in numeric order (h5 lists them as ``0, 1, 10, 2``)."""
    import h5py

    names = [k for k in group.keys() if isinstance(group.get(k, getlink=False), h5py.Dataset)]
    digits = sorted((k for k in names if k.isdigit()), key=int)
    return digits + sorted(k for k in names if not k.isdigit())


def read_dataset(ds: Any, source: str) -> np.ndarray:
    """A dataset's value, bounded in size; bfloat16 (stored as raw 16-bit words) widened to float32."""
    nbytes = int(np.prod(ds.shape, dtype=np.int64)) * ds.dtype.itemsize if ds.shape else ds.dtype.itemsize
    if nbytes > _MAX_DATASET_BYTES:
        raise WeightsLoadError(f"{source}: dataset '{ds.name}' declares {nbytes} bytes; refusing to read it.")
    try:
        arr = np.asarray(ds[()])
    except Exception as e:  # noqa: BLE001 - h5py raises OSError/KeyError/... for damaged data
        raise WeightsLoadError(f"{source}: cannot read dataset '{ds.name}' ({e}); the file is damaged.") from e
    if ds.attrs.get("dtype") in ("bfloat16", b"bfloat16") and arr.dtype.itemsize == 2:
        arr = (arr.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
    return arr


class _LoadReport:
    def __init__(self) -> None:
        self.errors: List[Tuple[str, str]] = []

    def fail(self, where: str, msg: str) -> None:
        self.errors.append((where, msg))


def _load_object(obj: Any, path: str, f: Any, source: str, report: _LoadReport, consumed: Set[str],
                 model: Any) -> None:
    gpath = _vars_path(path)
    group = f.get(gpath)
    consumed.add(gpath)
    names = sorted_dataset_names(group) if group is not None else []
    obj_name = getattr(obj, "name", type(obj).__name__)
    where = f"'{obj_name}' (path '{gpath}')"
    if _is_optimizer(obj):
        if names and not obj.variables or (names and getattr(obj, "built", True) is False):
            obj.build(model.trainable_variables)
        variables = own_variables(obj)
        if len(names) != len(variables):
            warnings.warn(f"Skipping variable loading for optimizer '{obj_name}', because it has {len(variables)} "
                          f"variables whereas the saved optimizer has {len(names)} variables.", stacklevel=4)
            return
        for v, n in zip(variables, names):
            if tuple(group[n].shape) != tuple(v.shape):
                warnings.warn(f"Skipping variable loading for optimizer '{obj_name}': variable {n} has shape "
                              f"{tuple(v.shape)} in the optimizer but {tuple(group[n].shape)} in {source}.",
                              stacklevel=4)
                return
        load = getattr(obj, "load_own_variables", None)
        values = {str(i): read_dataset(group[n], source) for i, n in enumerate(names)}
        if callable(load):
            load(values)
        else:
            for v, n in zip(variables, values):
                v.assign(values[n])
        return
    if (hasattr(type(obj), "variable_serialization_spec") or getattr(obj, "lora_enabled", False)) \
            and callable(getattr(obj, "load_own_variables", None)):  # (a LoRA layer's file has its merged kernel)
        # layers that save a per-mode subset of their variables (quantized / LoRA Dense, EinsumDense,
        # Embedding) check the store themselves, as in Keras
        try:
            obj.load_own_variables({str(i): read_dataset(group[n], source) for i, n in enumerate(names)})
        except (ValueError, KeyError) as e:
            report.fail(where, f"Layer {where}: {e}")
        return
    variables = own_variables(obj)
    if len(names) != len(variables):
        if not variables and not getattr(obj, "built", True):
            report.fail(where, f"Layer {where} was never built and thus it doesn't have any variables. However the "
                               f"weights file lists {len(names)} variables for this layer. Build the model (call it on "
                               f"data or pass an Input) before loading weights.")
        else:
            report.fail(where, f"Layer {where} expected {len(variables)} variables, but received {len(names)} "
                               f"variables during loading. Expected: {[v.name for v in variables]}")
        return
    values = []
    for v, n in zip(variables, names):
        want, got = tuple(v.shape), tuple(group[n].shape)
        if want != got:
            report.fail(where, f"Layer {where}: variable '{v.name}' has shape {want} in the model, but the "
                               f"saved value ({gpath}/{n}) has shape {got}.")
            return
        values.append(read_dataset(group[n], source))
    load = getattr(obj, "load_own_variables", None)
    if callable(load):
        load({str(i): a for i, a in enumerate(values)})
        return
    for v, a in zip(variables, values):
        v.assign(a.astype(np.dtype(v.dtype), copy=False) if a.dtype != np.dtype(v.dtype) else a)


def _all_vars_groups(f: Any) -> Dict[str, int]:
    """Every ``.../vars`` group in the file with its dataset count."""
    import h5py

    out: Dict[str, int] = {}

    def visit(name: str, obj: Any) -> None:
        if isinstance(obj, h5py.Group) and (name == "vars" or name.endswith("/vars")):
            out[name] = sum(1 for k in obj.keys() if isinstance(obj.get(k, getlink=False), h5py.Dataset))

    f.visititems(visit)
    return out


def load_weights_from_h5(model: Any, f: Any, source: str, skip_mismatch: bool = False,
                         include_optimizer: bool = True, skip: Optional[Set[int]] = None) -> None:
    """Load ``model``'s state from the open h5py file ``f`` (named ``source`` in errors); the objects whose ids
    are in ``skip`` keep their state (and the file's groups for them are ignored)."""
    report = _LoadReport()
    consumed: Set[str] = set()
    skipped: List[str] = []
    has_opt = f.get("optimizer/vars") is not None
    for path, obj in walk(model, include_optimizer and has_opt, skip, skipped):
        _load_object(obj, path, f, source, report, consumed, model)
    extra = {k: n for k, n in _all_vars_groups(f).items() if k not in consumed and n
             and not k.startswith("optimizer") and not any(k == _vars_path(p) or k.startswith(p + "/")
                                                           for p in skipped)}
    if extra:
        have = sum(1 for _, o in walk(model, False) if own_variables(o))
        report.fail("file", f"{source} holds weights for {len(extra)} object(s) the model does not have: "
                            f"{sorted(extra)} (the model has {have} object(s) with weights; layer counts differ).")
    if not report.errors:
        return
    if skip_mismatch:
        for where, msg in report.errors:
            warnings.warn(f"Skipping loading weights for {where}: {msg}", stacklevel=3)
        return
    where, msg = report.errors[0]
    others = [w for w, _ in report.errors]
    raise WeightsLoadError(f"A total of {len(report.errors)} objects could not be loaded from {source}. Example error "
                           f"message for object {where}:\n\n{msg}\n\nList of objects that could not be loaded:\n"
                           f"{others}")


#: what h5py raises for a damaged file (besides OSError on open)
_H5_ERRORS = (OSError, RuntimeError, KeyError, ValueError, TypeError, ArithmeticError)


def open_h5(source: Any, name: str) -> "_SafeH5":
    """The HDF5 file at a path or in bytes, for ``with``: h5py's errors become a :class:`WeightsLoadError`
    naming the file, and a file that would make a loader read elsewhere is refused before anything is read:
    external links, soft links (a loader follows none), virtual datasets and datasets stored in external
    files (``check_self_contained``)."""
    import h5py

    try:
        if isinstance(source, (bytes, bytearray)):
            f = h5py.File(io.BytesIO(bytes(source)), "r")
        else:
            f = h5py.File(source, "r")
    except (OSError, ValueError, RuntimeError, ArithmeticError) as e:   # h5py, opening a damaged file
        raise WeightsLoadError(f"{name} is not a readable HDF5 file (it may be truncated or corrupt): "
                               f"{type(e).__name__}: {e}") from e
    safe = _SafeH5(f, name)
    try:
        check_self_contained(f, name)
    except BaseException as e:
        f.close()
        if isinstance(e, _H5_ERRORS) and not isinstance(e, LoadError):
            raise WeightsLoadError(f"{name}: the HDF5 file is damaged ({type(e).__name__}: {e})") from e  # h5py's
        raise
    return safe


class _SafeH5:
    """``with open_h5(...) as f``: closes the file; a damaged file's h5py errors (OSError, RuntimeError, KeyError,
    ValueError, TypeError: h5py raises all of these for damaged headers) raised while reading become a
    :class:`WeightsLoadError` naming the file."""

    def __init__(self, f: Any, name: str) -> None:
        self.f, self.name = f, name

    def __enter__(self) -> Any:
        return self.f

    def __exit__(self, et: Any, e: Any, tb: Any) -> bool:
        try:
            self.f.close()
        except Exception:  # noqa: BLE001 - closing a damaged file may fail too; the first error matters
            pass
        if et is not None and issubclass(et, _H5_ERRORS) and not isinstance(e, LoadError):
            raise WeightsLoadError(f"{self.name}: the HDF5 file is damaged or is not a Keras weights file "
                                   f"({et.__name__}: {e})") from e
        return False


def check_self_contained(f: Any, name: str) -> None:
    """Refuse an HDF5 file whose content lives elsewhere: an external link, a soft link, a virtual dataset
    (its data mapped from other datasets or files) or a dataset stored in external raw files, anywhere in
    the file; and a group reachable from itself (a cycle of hard links). As Keras refuses them."""
    import h5py

    def refuse(where: str, what: str) -> None:
        raise WeightsLoadError(f"{name}: '{where}' is {what}; a weights file must hold its own data (unidl "
                               "never reads what a file points to)")

    on_path: Set[int] = set()

    def walk(group: Any, path: str) -> None:
        for key in group.keys():
            where = f"{path}/{key}"
            link = group.get(key, getlink=True)
            if isinstance(link, h5py.ExternalLink):
                refuse(where, f"an HDF5 external link (ExternalLink) to {link.filename!r}:{link.path!r}")
            if isinstance(link, h5py.SoftLink):
                refuse(where, f"an HDF5 soft link (SoftLink) to {link.path!r}")
            obj = group.get(key)
            if isinstance(obj, h5py.Dataset):
                if obj.is_virtual:
                    refuse(where, "a virtual dataset (its data is mapped from other datasets or files)")
                if obj.external:
                    refuse(where, f"a dataset stored in external files {[e[0] for e in obj.external]!r}")
            elif isinstance(obj, h5py.Group):
                addr = h5py.h5o.get_info(obj.id).addr
                if addr in on_path:
                    refuse(where, "a group that contains itself (a cycle of hard links)")
                on_path.add(addr)
                walk(obj, where)
                on_path.discard(addr)

    walk(f, "")
