"""``keras.tree``: nested-structure utilities (re-exported from :mod:`unidl_keras.utils.tree`, plus a
few helpers written on top of them)."""
from __future__ import annotations

from typing import Any, Callable, List, Tuple

from .utils.tree import flatten, is_nested, map_structure, map_structure_up_to, pack_sequence_as

__all__ = ["is_nested", "flatten", "map_structure", "map_structure_up_to", "pack_sequence_as", "assert_same_structure",
           "lists_to_tuples", "map_shape_structure", "flatten_with_path", "traverse"]


def _skeleton(x: Any) -> Any:
    return map_structure(lambda _: None, x)


def assert_same_structure(a: Any, b: Any, check_types: bool = True) -> None:
    """Raise ValueError unless ``a`` and ``b`` nest the same way (same container types, lengths and dict keys),
    with optree's messages as Keras reports them (``Node type mismatch; expected <class 'tuple'>, ...``)."""
    def check(x: Any, y: Any) -> None:
        x_dict, y_dict = isinstance(x, dict), isinstance(y, dict)
        x_seq, y_seq = isinstance(x, (list, tuple)), isinstance(y, (list, tuple))
        if not (x_dict or x_seq or y_dict or y_seq):
            return
        if x_dict != y_dict or x_seq != y_seq or (check_types and type(x) is not type(y)):
            if x_dict or x_seq:
                raise ValueError(f"Node type mismatch; expected {type(x)}, but got {type(y)}.")
            raise ValueError(f"Structures don't have the same nested structure.\nFirst structure: {a}\n"
                             f"Second structure: {b}")
        if x_dict:
            if set(x) != set(y):
                raise ValueError(f"Node keys mismatch; missing key(s): {set(x) - set(y)}; extra key(s): "
                                 f"{set(y) - set(x)}.")
            for k in x:
                check(x[k], y[k])
            return
        if len(x) != len(y):
            raise ValueError(f"Node arity mismatch; expected {len(x)}, but got {len(y)}.")
        for u, v in zip(x, y):
            check(u, v)

    check(a, b)


def lists_to_tuples(structure: Any) -> Any:
    """The same structure with every list turned into a tuple."""
    if isinstance(structure, dict):
        return {k: lists_to_tuples(v) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return tuple(lists_to_tuples(v) for v in structure)
    return structure


def _is_shape(x: Any) -> bool:
    return isinstance(x, (list, tuple)) and all(d is None or isinstance(d, int) for d in x)


def map_shape_structure(func: Callable[[Any], Any], structure: Any) -> Any:
    """Map ``func`` over a structure whose leaves are shapes (tuples/lists of ints and None)."""
    if _is_shape(structure):
        return func(tuple(structure))
    if isinstance(structure, dict):
        return {k: map_shape_structure(func, v) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(map_shape_structure(func, v) for v in structure)
    return func(structure)


def flatten_with_path(structure: Any) -> List[Tuple[Tuple[Any, ...], Any]]:
    """``(path, leaf)`` pairs in :func:`flatten` order; a path is the tuple of keys/indices."""
    out: List[Tuple[Tuple[Any, ...], Any]] = []

    def walk(x: Any, path: Tuple[Any, ...]) -> None:
        if isinstance(x, dict):
            for k in sorted(x):
                walk(x[k], path + (k,))
        elif isinstance(x, (list, tuple)):
            for i, v in enumerate(x):
                walk(v, path + (i,))
        else:
            out.append((path, x))

    walk(structure, ())
    return out


def traverse(func: Callable[[Any], Any], structure: Any, top_down: bool = True) -> Any:
    """Visit every node (inner structures too). Top-down: a non-None result of ``func`` replaces the
    node and its subtree is not visited; bottom-up: ``func`` sees the already-rebuilt node."""
    def rebuild(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: traverse(func, v, top_down) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return type(x)(traverse(func, v, top_down) for v in x)
        return x

    if top_down:
        r = func(structure)
        return r if r is not None else rebuild(structure)
    node = rebuild(structure)
    r = func(node)
    return node if r is None else r
