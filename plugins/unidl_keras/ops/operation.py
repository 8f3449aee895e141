"""``keras.src.ops.operation.Operation`` and the op classes Keras's ops modules expose next to their
functions (``keras.src.ops.numpy.Pad``, ``Cumsum``, ``Cast``, ...).

Keras splits an op's arguments: the static ones go to the class (``Pad(pad_width, mode)``), the tensors to
the call (``(x, constant_values=0)``). On unidl every op class is made from its public function on first
use (:func:`op_class`): the call's arguments come first, then the class's positional arguments, and the
keyword arguments of both, so ``Pad(w, mode)(x, constant_values=c)`` is ``pad(x, w, mode, constant_values=c)``.
The few ops whose static argument comes first in the function (``Einsum(subscripts)(*operands)``) say so
in ``_STATIC_FIRST``. KerasTensor inputs give a KerasTensor (``symbolic_call``, ``compute_output_spec``).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Tuple

from ..backend.common import snake_case


class Operation:
    """A Keras op object: static arguments at construction, tensors at the call."""

    _fn: Optional[Callable[..., Any]] = None
    _static_first = False

    def __init__(self, *args: Any, name: Optional[str] = None, **kwargs: Any) -> None:
        self.name = name or snake_case(type(self).__name__)
        self._static_args: Tuple[Any, ...] = args
        self._static_kwargs: Dict[str, Any] = kwargs

    def call(self, *args: Any, **kwargs: Any) -> Any:
        fn = type(self)._fn
        if fn is None:
            raise NotImplementedError(f"{type(self).__name__} must implement `call`")
        merged = {**self._static_kwargs, **kwargs}
        if self._static_first:
            return fn(*self._static_args, *args, **merged)
        return fn(*args, *self._static_args, **merged)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # the op functions route KerasTensors through the symbolic path themselves
        return self.call(*args, **kwargs)

    def symbolic_call(self, *args: Any, **kwargs: Any) -> Any:
        return self.call(*args, **kwargs)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        return self.call(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Operation name={self.name}>"


# ops whose function takes the class's static arguments before the tensors
_STATIC_FIRST = {"einsum", "full"}


def op_class(module: Any, attr: str) -> Optional[type]:
    """The op class ``attr`` (``TakeAlongAxis``, ``IsIn``, ``Log10``) of ``module``'s public function
    whose name, without underscores, is ``attr`` case-insensitively; None when there is none."""
    if not attr[:1].isupper():
        return None
    cache = module.__dict__.setdefault("_OP_CLASSES", {})
    if attr in cache:
        return cache[attr]
    key = attr.lower()
    public = list(getattr(module, "__all__", None) or [])
    names = public + [n for n in vars(module) if not n.startswith("_") and n not in public]
    for fname in names:
        fn = module.__dict__.get(fname)
        if callable(fn) and not isinstance(fn, type) and fname.replace("_", "").lower() == key:
            cls = type(attr, (Operation,), {"_fn": staticmethod(fn), "_static_first": fname in _STATIC_FIRST,
                                            "__module__": module.__name__,
                                            "__doc__": f"The op class of ``{fname}`` (see :mod:`{__name__}`)."})
            cache[attr] = cls
            return cls
    return None
