"""Run the MXNet code of "Dive into Deep Learning" chapters unmodified, under ``unidl run`` and on real
MXNet, and compare what each cell shows.

The chapters come from a local checkout of d2l-ai/d2l-en (tag v0.17.6, the last release on MXNet 1.x);
nothing from it is copied here. A chapter's MXNet cells (``{.python .input}`` blocks without a ``#@tab``
line, or tagged ``mxnet``/``all``) run in order in one namespace, as a notebook would; each cell's printed
output and the repr of its last expression are recorded.

Comparison: real MXNet runs each chapter twice with different seeds. A cell whose output is the same in
both runs is *deterministic* and must match unidl's output (numbers within rtol 1e-4, everything else
exactly). A cell whose output changes with the seed is *random*: its numbers are masked and the rest
(shapes, dtypes, words, how many numbers) must match. A chapter with a cell that fails on real MXNet
offline (its data needs a download, or d2l's plotting breaks on the venv's matplotlib) is left out.

    python -m unidl_conformance.upstream.d2l --checkout DIR --real-python VENV/bin/python [--chapters ...]
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence

#: chapters whose data is generated in the chapter or shipped with it (no download)
CHAPTERS = (
    "chapter_preliminaries/ndarray.md", "chapter_preliminaries/linear-algebra.md",
    "chapter_preliminaries/calculus.md", "chapter_preliminaries/autograd.md",
    "chapter_preliminaries/probability.md",
    "chapter_linear-networks/linear-regression.md", "chapter_linear-networks/linear-regression-scratch.md",
    "chapter_linear-networks/linear-regression-concise.md",
    "chapter_multilayer-perceptrons/mlp.md", "chapter_multilayer-perceptrons/underfit-overfit.md",
    "chapter_multilayer-perceptrons/weight-decay.md",
    "chapter_multilayer-perceptrons/numerical-stability-and-init.md",
    "chapter_deep-learning-computation/model-construction.md",
    "chapter_deep-learning-computation/parameters.md", "chapter_deep-learning-computation/deferred-init.md",
    "chapter_deep-learning-computation/custom-layer.md", "chapter_deep-learning-computation/read-write.md",
    "chapter_convolutional-neural-networks/conv-layer.md",
    "chapter_convolutional-neural-networks/padding-and-strides.md",
    "chapter_convolutional-neural-networks/channels.md", "chapter_convolutional-neural-networks/pooling.md",
    "chapter_recurrent-neural-networks/sequence.md",
    "chapter_optimization/gd.md", "chapter_optimization/sgd.md", "chapter_optimization/momentum.md",
    "chapter_attention-mechanisms/nadaraya-watson.md", "chapter_attention-mechanisms/attention-cues.md",
    "chapter_attention-mechanisms/attention-scoring-functions.md",
    "chapter_attention-mechanisms/multihead-attention.md",
    "chapter_attention-mechanisms/self-attention-and-positional-encoding.md",
    "chapter_optimization/optimization-intro.md", "chapter_optimization/convexity.md",
    "chapter_optimization/adagrad.md", "chapter_optimization/rmsprop.md", "chapter_optimization/adadelta.md",
    "chapter_optimization/adam.md", "chapter_optimization/lr-scheduler.md",
)

_CELL = re.compile(r"^```\{\.python \.input\}\s*\n(.*?)^```", re.S | re.M)
_NUMBER = re.compile(r"-?\d+\.?\d*(?:[eE][-+]?\d+)?|-?\.\d+(?:[eE][-+]?\d+)?|\bnan\b|\binf\b")


def mxnet_cells(markdown: str) -> List[str]:
    """The chapter's MXNet code cells, in order (IPython magics dropped)."""
    cells = []
    for body in _CELL.findall(markdown):
        lines = body.splitlines()
        tab = lines[0].strip() if lines and lines[0].strip().startswith("#@tab") else None
        if tab is not None:
            tabs = {t.strip() for t in tab[len("#@tab"):].split(",")}
            if not tabs & {"mxnet", "all"}:
                continue
        code = "\n".join(line for line in lines if not line.lstrip().startswith("%"))
        cells.append(code)
    return cells


# The driver runs inside the measured interpreter (unidl's or real MXNet's): it executes cells in one
# namespace and writes [{"out": ..., "error": ...}] per cell. Kept as text so it needs nothing from unidl.
_DRIVER = r'''
import ast, contextlib, io, json, os, random, sys, traceback
try:
    import matplotlib
    matplotlib.use("Agg")
except ImportError:  # only d2l's plotting needs it
    pass
cells = json.load(open(sys.argv[1]))
seed = int(sys.argv[3])
import numpy
import mxnet
random.seed(seed); numpy.random.seed(seed); mxnet.random.seed(seed)
ns = {"__name__": "__main__"}
results = []
for code in cells:
    buf = io.StringIO()
    error = None
    try:
        tree = ast.parse(code)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        with contextlib.redirect_stdout(buf):
            exec(compile(tree, "<cell>", "exec"), ns)
            if last is not None:
                value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), ns)
                if value is not None:
                    print(repr(value))
    except BaseException as exc:  # a failing cell is recorded, the chapter goes on
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()[-1][:300]
    results.append({"out": buf.getvalue()[-4000:], "error": error})
json.dump(results, open(sys.argv[2], "w"))
'''


def run_chapter(cells: Sequence[str], python: List[str], checkout: Path, seed: int, timeout: float) -> Optional[list]:
    """Run the cells with ``python`` (a command list); None when the process dies or times out."""
    with tempfile.TemporaryDirectory(prefix="unidl-d2l-") as tmp:
        cells_file, out_file, driver = (os.path.join(tmp, n) for n in ("cells.json", "out.json", "driver.py"))
        Path(cells_file).write_text(json.dumps(list(cells)))
        Path(driver).write_text(_DRIVER)
        env = dict(os.environ, PYTHONPATH=str(checkout), MPLBACKEND="Agg", OMP_NUM_THREADS="1")
        try:
            subprocess.run(python + [driver, cells_file, out_file, str(seed)], cwd=tmp, env=env, timeout=timeout,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return None
        if not os.path.exists(out_file):
            return None
        return json.loads(Path(out_file).read_text())


# The one cosmetic difference accepted: class paths print as unidl's (``<class 'unidl_mxnet.numpy.multiarray.
# ndarray'>``) where MXNet prints ``<class 'mxnet.numpy.ndarray'>``; the face's modules keep their own names so
# that pickles and imports never depend on the alias being installed.
_CLASS_PATH = re.compile(r"unidl_mxnet\.numpy\.multiarray\.|unidl_mxnet\.")


def _unaliased(text: str) -> str:
    return _CLASS_PATH.sub(lambda m: "mxnet.numpy." if "multiarray" in m.group(0) else "mxnet.", text)


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")  # default reprs (<... object at 0x7f...>) differ per process


def _masked(text: str) -> str:
    """Numbers replaced by '#' and whitespace dropped (array printing pads to the widest number)."""
    return re.sub(r"\s+", "", _NUMBER.sub("#", _ADDRESS.sub(" at 0x", text)))


def _numbers(text: str) -> List[float]:
    return [float(t) for t in _NUMBER.findall(text)]


def same_output(ours: str, real: str, deterministic: bool, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    """Text equal once numbers are masked; numbers close too when the cell is deterministic."""
    ours = _unaliased(ours)
    if _masked(ours) != _masked(real):
        return False
    if not deterministic:
        return True
    for a, b in zip(_numbers(_ADDRESS.sub("", ours)), _numbers(_ADDRESS.sub("", real))):
        if a != b and not abs(a - b) <= atol + rtol * abs(b):
            return False
    return True


def compare_chapter(ours: Optional[list], real_a: Optional[list], real_b: Optional[list]) -> Dict[str, object]:
    """Per-chapter verdict: 'fails on real MXNet' (left out: its data needs a download, or d2l's plotting
    breaks with the venv's matplotlib) when a cell errs there, else counts of matching cells."""
    if real_a is None:
        return {"status": "fails on real MXNet", "cells": 0, "first_difference": "process died"}
    errors = [f"cell {i + 1}: {c['error']}" for i, c in enumerate(real_a) if c["error"]]
    if errors:
        return {"status": "fails on real MXNet", "cells": 0, "first_difference": errors[0]}
    if ours is None:
        return {"status": "crashed", "cells": len(real_a), "matching": 0, "first_difference": "process died"}
    matching, first = 0, None
    for i, (o, a, b) in enumerate(zip(ours, real_a, real_b or real_a)):
        deterministic = a["out"] == b["out"]
        ok = o["error"] is None and same_output(o["out"], a["out"], deterministic)
        matching += ok
        if not ok and first is None:
            first = f"cell {i + 1}: " + (o["error"] or f"ours {o['out'][:200]!r} vs MXNet {a['out'][:200]!r}")
    return {"status": "match" if matching == len(real_a) else "differs", "cells": len(real_a),
            "matching": matching, "first_difference": first}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m unidl_conformance.upstream.d2l")
    parser.add_argument("--checkout", required=True, type=Path, help="d2l-en checkout at tag v0.17.6")
    parser.add_argument("--real-python", required=True, help="python of the scratch venv with mxnet 1.9.1")
    parser.add_argument("--chapters", nargs="*", default=list(CHAPTERS))
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--out", type=Path, help="write the verdicts as JSON here")
    args = parser.parse_args(argv)
    unidl_run = [sys.executable, "-m", "unidl.cli.main", "run"]
    verdicts = {}
    for chapter in args.chapters:
        cells = mxnet_cells((args.checkout / chapter).read_text())
        real_a = run_chapter(cells, [args.real_python], args.checkout, 0, args.timeout)
        real_b = run_chapter(cells, [args.real_python], args.checkout, 1, args.timeout)
        ours = run_chapter(cells, unidl_run, args.checkout, 0, args.timeout)
        verdicts[chapter] = compare_chapter(ours, real_a, real_b)
        v = verdicts[chapter]
        print(f"{chapter}: {v['status']} ({v.get('matching', 0)}/{v['cells']} cells)"
              + (f"  {v['first_difference']}" if v.get("first_difference") else ""), flush=True)
    if args.out:
        args.out.write_text(json.dumps(verdicts, indent=1))
    local = [v for v in verdicts.values() if v["status"] != "fails on real MXNet"]
    print(f"{sum(v['status'] == 'match' for v in local)} of {len(local)} chapters that run on real MXNet "
          "offline match it")
    return 0 if all(v["status"] == "match" for v in local) else 1


if __name__ == "__main__":
    sys.exit(main())
