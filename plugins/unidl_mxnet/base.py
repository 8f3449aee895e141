"""MXNet's error type and small helpers shared by the frontend's modules."""
from __future__ import annotations

from unidl.errors import UnidlError


class _CatchesCoreErrors(type):
    """Metaclass of MXNetError: ``isinstance(e, MXNetError)`` / ``issubclass`` (what pytest.raises, unittest's
    assertRaises and nose's assert_raises use) also match the core's errors (:class:`unidl.errors.UnidlError`:
    a bad shape or dtype reaching an op, backward through a freed graph, ...), because in MXNet every error from
    the engine is an MXNetError. This costs nothing on the op hot path. A bare ``except MXNetError:`` clause
    matches by the real class hierarchy (CPython ignores ``__subclasscheck__`` there), so the face's entry points
    (Block calls, nd operators) raise MXNetError themselves. Subclasses of MXNetError match only their own."""

    def __instancecheck__(cls, obj: object) -> bool:
        return type.__instancecheck__(cls, obj) or (cls is MXNetError and isinstance(obj, UnidlError))

    def __subclasscheck__(cls, sub: type) -> bool:
        return type.__subclasscheck__(cls, sub) or (cls is MXNetError and issubclass(sub, UnidlError))


class MXNetError(UnidlError, RuntimeError, metaclass=_CatchesCoreErrors):
    """The error MXNet raises for bad input (``mxnet.base.MXNetError``); also catches the core's errors."""


_MXNET_FLAVOURS: dict = {}


def as_mxnet_error(err: BaseException) -> BaseException:
    """``err`` if it already is an MXNetError; a core error (UnidlError) re-made as an instance of a class
    deriving from both MXNetError and the core class (same message and attributes), so a bare
    ``except MXNetError:`` catches it and ``except ValueError:`` (for an OpError) still does."""
    if type.__instancecheck__(MXNetError, err) or not isinstance(err, UnidlError):
        return err
    cls = type(err)
    flavour = _MXNET_FLAVOURS.get(cls)
    if flavour is None:
        flavour = type(cls.__name__, (MXNetError, cls), {"__module__": cls.__module__})
        _MXNET_FLAVOURS[cls] = flavour
    made = flavour.__new__(flavour, *err.args)
    made.__dict__.update(err.__dict__)
    return made.with_traceback(err.__traceback__)


def check_positive(who: str, **sizes: object) -> None:
    """MXNetError naming ``who`` and the argument unless every size (an int, or a tuple of ints) is a positive
    integer (a layer's units, channels, kernel, strides, pool size, vocabulary...)."""
    for name, v in sizes.items():
        vals = v if isinstance(v, (tuple, list)) else (v,)
        if not vals or not all(isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in vals):
            raise MXNetError(f"{who}: {name} must be a positive integer (or a tuple of them), got {v!r}")


def unsupported_attrs(module: str, reasons: dict):
    """A module ``__getattr__`` for MXNet names unidl deliberately lacks: ``reasons`` maps a name to why
    (and what to use instead). Such a name raises :class:`unidl.aliases.UnsupportedAPIError` (an
    AttributeError), so ``unidl port`` reports it as unsupported and ``unidl run`` prints the reason."""

    def __getattr__(name: str):
        from unidl.aliases import UnsupportedAPIError

        why = reasons.get(name)
        if why is None:
            raise AttributeError(f"module {module!r} (unidl_mxnet) has no attribute {name!r}")
        raise UnsupportedAPIError(f"`{module}.{name}` is not supported by unidl: {why}")

    return __getattr__


# Python-type helpers MXNet code imports from mxnet.base.
integer_types = (int, __import__("numpy").integer)
numeric_types = (float, int, __import__("numpy").generic)
string_types = (str,)


def py_str(x: bytes) -> str:
    """Decode C-level bytes to a Python string (MXNet's helper; UTF-8)."""
    return x.decode("utf-8") if isinstance(x, (bytes, bytearray)) else str(x)


def _as_list(obj):
    """``obj`` as a list (a list or tuple is returned as a list, anything else wrapped)."""
    return list(obj) if isinstance(obj, (list, tuple)) else [obj]
