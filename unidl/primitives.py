"""The primitive tier: the ops a device plugin implements; every other op has a composite in the core.

A plugin that brings a new device registers kernels for these ops (see
``plugins/unidl_example_device`` and ``docs/writing-a-plugin.md``). Every op outside the tier that
has a composite definition (``OpDef.composite``, written with ``K.<op>`` kernel calls beside the op
in ``unidl/ops``) then runs on that device through its composite; a plugin may still register a
fused kernel for any op, which overrides the composite. :func:`coverage` says, per op, which path it
takes on a device type (``unidl plugins --coverage DEVICE`` prints it).

The tier was chosen by measurement: the ops the twin zoo (Keras and Gluon models: dense, conv,
batch norm, dropout, embedding, recurrent layers, SGD/Adam) issues, reduced to those that cannot be
written from the others without changing results or costing a full pass more.
"""
from __future__ import annotations

import dis
from typing import Any, Dict, FrozenSet, List, Set

#: the primitive tier by family (data: ``unidl.kernels`` and the conformance suite read it)
PRIMITIVE_FAMILIES: Dict[str, tuple] = {
    "elementwise binary (NumPy broadcasting and promotion)": (
        "add", "subtract", "multiply", "divide", "power", "maximum", "minimum", "equal", "greater", "less",
        "right_shift"),
    "elementwise unary": ("negative", "abs", "sign", "exp", "log", "sqrt", "tanh", "sin", "cos", "floor",
                          "expm1", "log1p"),
    "select and cast": ("where", "astype", "bitcast"),
    "reductions": ("sum", "max", "argmax"),
    "linear algebra": ("matmul",),
    "views and data movement": ("reshape", "transpose", "broadcast_to", "concatenate"),
    "gather / scatter": ("getitem", "index_add", "take"),
    "random bits (Philox4x32-10)": ("random_bits",),
}

PRIMITIVES: FrozenSet[str] = frozenset(op for ops in PRIMITIVE_FAMILIES.values() for op in ops)

#: composites that compute in another order than the fused kernels (a different GEMM, another formula): a kernel
#: overriding one of these agrees with it within the op's tolerance; every other override agrees bitwise.
#: ``@composite(name, reordered=True)`` adds to it, at import of the composite's module.
COMPOSITE_REORDERED: Set[str] = set({"conv", "conv_weight_grad", "conv_transpose", "softplus",
                                                 "logaddexp", "tan",
                                                 "tensordot",  # matmul, where NumPy's tensordot calls dot
                                                 "cumsum", "prod", "log2", "log10"})


def composite_deps(op_name: str) -> Set[str]:
    """The ops a composite calls (``K.<op>`` attributes), found in its code and the module-level helpers
    it calls, recursively. Empty for an op without a composite."""
    from .kernels import OPS, _ensure_ops_defined

    _ensure_ops_defined()
    fn = OPS[op_name].composite
    if fn is None:
        return set()
    found: Set[str] = set()
    seen: Set[int] = set()

    def walk(code: Any, glb: Dict[str, Any]) -> None:
        if id(code) in seen:
            return
        seen.add(id(code))
        prev = None
        for ins in dis.get_instructions(code):
            if ins.opname in ("LOAD_ATTR", "LOAD_METHOD") and prev is not None and prev.argval == "K" \
                    and prev.opname in ("LOAD_FAST", "LOAD_DEREF", "LOAD_CLOSURE"):
                if ins.argval in OPS:
                    found.add(ins.argval)
            elif ins.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
                helper = glb.get(ins.argval)
                if getattr(helper, "__code__", None) is not None \
                        and getattr(helper, "__module__", "").startswith("unidl."):
                    walk(helper.__code__, helper.__globals__)
            prev = ins
        for const in code.co_consts:
            if hasattr(const, "co_names"):
                walk(const, glb)

    while fn is not None:  # a wrapper (dtypes.composite_via_float32) and the composite it wraps
        walk(fn.__code__, fn.__globals__)
        fn = getattr(fn, "__wrapped__", None)
    found.discard(op_name)
    return found


def coverage(device: str) -> Dict[str, Dict[str, Any]]:
    """How each op runs on ``device``: ``{"path": native|composite|fallback|missing, "by": ..., "via": [...]}``.

    - ``native``: a registered kernel (``by`` names the plugin);
    - ``composite``: no kernel, but its composite runs on the device using only ops that are native or
      themselves composite there;
    - ``fallback``: it (or an op its composite needs, listed in ``via``) runs on the cpu through host copies;
    - ``missing``: nothing can run it on this device.
    """
    from .kernels import KERNELS, OPS, _ensure_ops_defined, _host_fallback
    from .plugins import ensure_loaded

    ensure_loaded()
    _ensure_ops_defined()
    out: Dict[str, Dict[str, Any]] = {}

    def visit(name: str, stack: List[str]) -> Dict[str, Any]:
        if name in out:
            return out[name]
        cands = KERNELS.candidates(name, device)
        if cands:
            out[name] = {"path": "native", "by": cands[0].plugin, "via": []}
            return out[name]
        op = OPS[name]
        if op.composite is not None and name not in stack:
            bad = []
            for dep in sorted(composite_deps(name)):
                if dep in stack:
                    continue
                r = visit(dep, stack + [name])
                if r["path"] in ("fallback", "missing"):
                    bad.append(dep)
            out[name] = {"path": "fallback" if bad else "composite", "by": "", "via": bad}
            return out[name]
        host = _host_fallback(op, device) is not None
        out[name] = {"path": "fallback" if host else "missing", "by": "cpu" if host else "", "via": []}
        return out[name]

    for name in sorted(OPS):
        visit(name, [])
    return dict(sorted(out.items()))


def missing_primitives(device: str) -> List[str]:
    """The primitive ops ``device`` has no kernel for (what a plugin author writes first)."""
    from .kernels import KERNELS
    from .plugins import ensure_loaded

    ensure_loaded()
    return sorted(op for op in PRIMITIVES if not KERNELS.candidates(op, device))


__all__: List[str] = ["PRIMITIVE_FAMILIES", "PRIMITIVES", "COMPOSITE_REORDERED", "composite_deps", "coverage", "missing_primitives"]
