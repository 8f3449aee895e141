"""Nested structures (lists, tuples, dicts of leaves), as ``keras.tree`` handles them."""
from __future__ import annotations

from typing import Any, Callable, List


def is_nested(x: Any) -> bool:
    return isinstance(x, (list, tuple, dict))


def flatten(x: Any) -> List[Any]:
    """Leaves in order (dicts by sorted key, as Keras's tree does)."""
    if isinstance(x, dict):
        return [leaf for k in sorted(x) for leaf in flatten(x[k])]
    if isinstance(x, (list, tuple)):
        return [leaf for item in x for leaf in flatten(item)]
    return [x]


def map_structure(fn: Callable[..., Any], x: Any, *more: Any) -> Any:
    """``fn`` applied leaf-wise; with several structures (same nesting) ``fn`` gets one leaf of each."""
    if more:
        return _map_many(fn, (x,) + more, up_to=_SAME)
    if isinstance(x, dict):
        return {k: map_structure(fn, v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*(map_structure(fn, v) for v in x))
    if isinstance(x, (list, tuple)):
        return type(x)(map_structure(fn, v) for v in x)
    return fn(x)


def pack_sequence_as(structure: Any, flat: List[Any]) -> Any:
    it = iter(flat)

    def build(s: Any) -> Any:
        if isinstance(s, dict):
            out = {k: None for k in s}
            for k in sorted(s):
                out[k] = build(s[k])
            return out
        if isinstance(s, (list, tuple)):
            return type(s)(build(v) for v in s)
        return next(it)

    return build(structure)


_SAME = object()


def _map_many(fn: Callable[..., Any], structs: tuple, up_to: Any) -> Any:
    """Walk ``structs`` together; the shape of the walk is ``up_to`` (``structs[0]`` when None), whose
    leaves stop the descent (the others may nest deeper there)."""
    guide = structs[0] if up_to is _SAME else up_to
    if isinstance(guide, dict):
        for s in structs:
            if not isinstance(s, dict) or set(s) != set(guide):
                raise ValueError(f"The two structures don't have the same nested structure.\n"
                                 f"First structure: {guide}\nSecond structure: {s}")
        return {k: _map_many(fn, tuple(s[k] for s in structs), _SAME if up_to is _SAME else guide[k])
                for k in guide}
    if isinstance(guide, (list, tuple)):
        for s in structs:
            if not isinstance(s, (list, tuple)) or len(s) != len(guide):
                raise ValueError(f"The two structures don't have the same nested structure.\n"
                                 f"First structure: {guide}\nSecond structure: {s}")
        items = [_map_many(fn, tuple(s[i] for s in structs), _SAME if up_to is _SAME else guide[i])
                 for i in range(len(guide))]
        if hasattr(guide, "_fields"):
            return type(guide)(*items)
        return type(guide)(items)
    if up_to is _SAME:
        for s in structs[1:]:
            if isinstance(s, (list, tuple, dict)):
                raise ValueError(f"The two structures don't have the same nested structure.\n"
                                 f"First structure: {structs[0]}\nSecond structure: {s}")
    return fn(*structs)


def map_structure_up_to(shallow_structure: Any, fn: Callable[..., Any], *structures: Any) -> Any:
    """Map ``fn`` over ``structures`` only as deep as ``shallow_structure`` nests; below its leaves the
    sub-structures are passed to ``fn`` whole."""
    if not structures:
        raise ValueError("Must provide at least one structure")
    return _map_many(fn, structures, up_to=shallow_structure)
