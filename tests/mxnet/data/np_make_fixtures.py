"""Regenerate the real-MXNet fixtures of the mx.np / mx.npx tests (MXNet 1.9.1 in its own venv):

    /tmp/mxvenv/bin/python tests/mxnet/data/np_make_fixtures.py

Evaluates the expressions of np_cases.py under ``npx.set_np()`` and writes np_mxnet191.npz (``case/<name>`` or
``case/<name>/<i>`` for list results, with their dtypes as stored) and np_mxnet191.json (reprs, which
error cases raise). Runs the D2L-style loops of np_loops.py with set_np and without (nd), checks that
MXNet gives the same numbers both ways, and stores the set_np results (``loop/...``).
"""
import json
import os
import sys

import mxnet as mx
import numpy as onp
from mxnet import np, npx

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import np_cases  # noqa: E402
import np_loops  # noqa: E402

out = {}
meta = {"repr": {}, "errors": {}}
npx.set_np()
scope = {"np": np, "npx": npx}
exec(np_cases.SETUP, scope)
for name, expr in np_cases.CASES.items():
    res = eval(expr, scope)
    if isinstance(res, (list, tuple)):
        for i, r in enumerate(res):
            out[f"case/{name}/{i}"] = r.asnumpy()
    else:
        out[f"case/{name}"] = res.asnumpy()
for name, expr in np_cases.REPRS.items():
    meta["repr"][name] = repr(eval(expr, scope))
for name, expr in np_cases.ERRORS.items():
    try:
        eval(expr, scope)
        meta["errors"][name] = None
    except Exception as e:  # noqa: BLE001
        meta["errors"][name] = type(e).__name__
assert all(meta["errors"].values()), meta["errors"]

lin_np = np_loops.linreg(mx, True)
soft_np = np_loops.softmax_regression(mx, True)
mlp = np_loops.mlp_scratch(mx)
npx.reset_np()
lin_nd = np_loops.linreg(mx, False)
soft_nd = np_loops.softmax_regression(mx, False)
for a, b in zip(lin_np + soft_np, lin_nd + soft_nd):
    onp.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
for key, val in zip(("losses", "weight", "bias"), lin_np):
    out[f"loop/linreg/{key}"] = val
for key, val in zip(("losses", "accs", "weight", "bias"), soft_np):
    out[f"loop/softmax/{key}"] = val
out["loop/mlp/losses"], out["loop/mlp/W1"] = mlp

onp.savez(os.path.join(here, "np_mxnet191.npz"), **out)
with open(os.path.join(here, "np_mxnet191.json"), "w") as f:
    json.dump(meta, f, indent=1, sort_keys=True)
print(f"wrote {len(out)} arrays; linreg losses {lin_np[0]}, softmax accs {soft_np[1]}, mlp losses {mlp[0]}")
