"""``unidl demo``: the main job on embedded data, in both frameworks at once.

A small CNN (Conv2D 3x3 -> ReLU -> MaxPool 2 -> Flatten -> Dense 10) learns the embedded 8x8 digits
(``unidl/data/digits.npz``) twice: written with the Keras frontend and trained with ``model.fit``, and
written with the Gluon frontend and trained with an ``autograd`` loop and a ``Trainer``. Both start
from the same weights (the Keras model's, moved to the Gluon net through the core's canonical units:
each frontend translates its own layers, ``unidl.nn.canonical``), see the same batches in the same order with SGD(momentum=0.9) and batch size 32
(a power of two: Keras's mean loss and Gluon's ``step(batch_size)`` are the same float scaling), and
end bitwise identical: every mapped parameter and the test-set logits are compared byte for byte.
Each trained model is saved in its framework's native format.

The frontends and their canonical translations are found through the plugin registry (the frontends named
"keras" and "mxnet"), never imported by name here.
"""
from __future__ import annotations

import argparse
import importlib
import io
import os
import sys
import time
import zipfile
import zlib
from typing import Any, List, Tuple

import numpy as np

from ..nn.canonical import pair_units, transfer

HELP = "train a small CNN on embedded digits with Keras and Gluon, check both are bitwise identical, save both"

SEED = 20240601
N_TRAIN = 1440          # 45 batches of 32; the remaining 357 images are the test set
BATCH = 32
LR = 0.05
MOMENTUM = 0.9
FILTERS = 16
CLASSES = 10
NAMES = ("keras", "gluon")


class DemoError(RuntimeError):
    """The demo cannot run (a frontend or its canonical translation is missing, the data is unreadable)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epochs", type=int, default=20, metavar="N", help="training epochs (default: 20)")
    parser.add_argument("--out", default="unidl-demo-out", metavar="DIR",
                        help="folder for digits_cnn.keras, digits_cnn.weights.h5, digits_cnn.params "
                             "(default: ./unidl-demo-out)")
    parser.add_argument("--quiet", action="store_true", help="no progress output, only the results")


def frontend(name: str) -> Any:
    """The module of the frontend registered under ``name`` (``"keras"``, ``"mxnet"``) in the plugin registry.

    Raises :class:`DemoError` when no plugin registered it (saying why, when its plugin failed to load).
    """
    from .. import plugins

    plugins.ensure_loaded()
    info = plugins.FRONTENDS.frontends.get(name)
    if info is None:
        why = ""
        rec = plugins.RECORDS.get(name)
        if rec is not None and rec.status != "loaded":
            why = f" (plugin '{name}' {rec.status}" + (f": {rec.error}" if rec.error else "") + ")"
        have = ", ".join(sorted(plugins.FRONTENDS.frontends)) or "none"
        raise DemoError(f"the '{name}' frontend is not registered{why}; registered frontends: {have}. "
                        "Install unidl with its frontend plugins (`unidl plugins` lists what loaded).")
    try:
        return importlib.import_module(info.package)
    except Exception as e:  # noqa: BLE001 - report any import failure by name
        raise DemoError(f"the '{name}' frontend's package '{info.package}' failed to import: "
                        f"{type(e).__name__}: {e}") from e


def canonical(name: str) -> Any:
    """The module translating frontend ``name``'s models to the core's canonical terms (``unidl.nn.canonical``),
    as its plugin registered it: ``units(model)`` and, where the frontend has them, ``describe``/``build``."""
    from .. import plugins

    frontend(name)
    info = plugins.FRONTENDS.frontends[name]
    if not info.canonical:
        raise DemoError(f"the '{name}' frontend registered no canonical translation (FrontendInfo.canonical), so its "
                        "models' weights cannot move to another frontend")
    try:
        return importlib.import_module(info.canonical)
    except Exception as e:  # noqa: BLE001 - report any import failure by name
        raise DemoError(f"the '{name}' frontend's canonical module '{info.canonical}' failed to import: "
                        f"{type(e).__name__}: {e}") from e


def load_digits() -> Tuple[np.ndarray, np.ndarray]:
    """The embedded digits: images (1797, 1, 8, 8) float32 in [0, 1], labels (1797,) int32."""
    from importlib import resources

    try:
        raw = resources.files("unidl").joinpath("data/digits.npz").read_bytes()
    except OSError as e:
        raise DemoError(f"cannot read the embedded data unidl/data/digits.npz: {e}") from e
    return parse_digits(raw, "unidl/data/digits.npz")


def parse_digits(raw: bytes, where: str) -> Tuple[np.ndarray, np.ndarray]:
    """The digits from the bytes of an ``.npz`` holding ``images`` (1797, 8, 8) with values 0..16 and ``labels``
    (1797,) with values 0..9; :class:`DemoError` naming ``where`` for anything else (no pickles are read)."""
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as d:
            images, labels = d["images"], d["labels"]
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError) as e:
        raise DemoError(f"cannot read the embedded data {where}: {type(e).__name__}: {e}") from e
    if images.shape != (1797, 8, 8) or labels.shape != (1797,):
        raise DemoError(f"{where} holds images {images.shape} and labels {labels.shape}; expected "
                        "(1797, 8, 8) and (1797,)")
    if images.dtype.kind not in "iuf" or labels.dtype.kind not in "iu":
        raise DemoError(f"{where} holds images of dtype {images.dtype} and labels of dtype {labels.dtype}; expected "
                        "numbers and integer labels")
    if not (np.all(np.isfinite(images)) and images.min() >= 0 and images.max() <= 16) or labels.min() < 0 \
            or labels.max() > 9:
        raise DemoError(f"{where} holds values outside the digits' ranges (pixels 0..16, labels 0..9)")
    x = (images.astype(np.float32) / np.float32(16.0))[:, None]
    return np.ascontiguousarray(x), labels.astype(np.int32)


def split(x: np.ndarray, y: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A fixed seeded split: 1440 training images, 357 test images."""
    perm = np.random.default_rng(SEED).permutation(len(x))
    tr, te = perm[:N_TRAIN], perm[N_TRAIN:]
    return x[tr], y[tr], x[te], y[te]


def keras_model(keras: Any) -> Any:
    """The Keras CNN (channels_first, so it runs the same NCHW arithmetic as its Gluon twin)."""
    L = keras.layers
    cf = "channels_first"
    return keras.Sequential([
        keras.Input((1, 8, 8)),
        L.Conv2D(FILTERS, 3, activation="relu", data_format=cf),    # (16, 6, 6)
        L.MaxPooling2D(2, data_format=cf),                          # (16, 3, 3)
        L.Flatten(),
        L.Dense(CLASSES),
    ], name="digits_cnn")


def gluon_net(mx: Any) -> Any:
    """The same CNN as a Gluon user writes it."""
    nn = mx.gluon.nn
    net = nn.HybridSequential()
    net.add(nn.Conv2D(FILTERS, 3, activation="relu"), nn.MaxPool2D(2), nn.Flatten(), nn.Dense(CLASSES))
    return net


def train_keras(keras: Any, model: Any, x: np.ndarray, y: np.ndarray, epochs: int, quiet: bool) -> None:
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=LR, momentum=MOMENTUM),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0 if quiet else 1)


def train_gluon(mx: Any, net: Any, x: np.ndarray, y: np.ndarray, epochs: int, quiet: bool) -> None:
    gluon, autograd, nd = mx.gluon, mx.autograd, mx.nd
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": LR, "momentum": MOMENTUM})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    for epoch in range(epochs):
        t0, total, correct = time.perf_counter(), 0.0, 0
        for i in range(0, len(x), BATCH):
            data, label = nd.array(x[i:i + BATCH]), nd.array(y[i:i + BATCH], dtype="float32")
            with autograd.record():
                out = net(data)
                loss = loss_fn(out, label)
            loss.backward()
            trainer.step(data.shape[0])
            total += float(loss.sum().asscalar())
            correct += int((out.argmax(axis=1).asnumpy().astype(np.int64) == y[i:i + BATCH]).sum())
        if not quiet:
            print(f"[gluon] epoch {epoch + 1}/{epochs}: loss {total / len(x):.4f}, train accuracy "
                  f"{correct / len(x):.4f} ({time.perf_counter() - t0:.1f}s)")


def gluon_logits(mx: Any, net: Any, x: np.ndarray) -> np.ndarray:
    """Inference logits in batches of 32 (as Keras's ``predict`` batches)."""
    return np.concatenate([net(mx.nd.array(x[i:i + BATCH])).asnumpy() for i in range(0, len(x), BATCH)])


def differences(pairs: Any, logits_k: np.ndarray, logits_g: np.ndarray) -> List[str]:
    """Every paired parameter (canonical units), and the test logits, that are not bitwise equal (empty: identical)."""
    from ..nn.canonical import differences as unit_differences

    out = unit_differences(pairs)
    if logits_k.shape != logits_g.shape or logits_k.tobytes() != logits_g.tobytes():
        d = float(np.abs(logits_k - logits_g).max()) if logits_k.shape == logits_g.shape else float("nan")
        out.append(f"test logits: max |diff| {d:.3g}")
    return out


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except DemoError as e:
        print(f"unidl demo: {e}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    if args.epochs < 1:
        print(f"unidl demo: --epochs must be at least 1, got {args.epochs}", file=sys.stderr)
        return 2
    quiet = args.quiet
    keras, mx = frontend("keras"), frontend("mxnet")
    k_units, g_units = canonical("keras").units, canonical("mxnet").units
    out = args.out
    try:  # before training, so a bad --out costs nothing
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise DemoError(f"--out {out}: cannot create the output folder: {e.strerror or e}") from e
    x, y = load_digits()
    x_train, y_train, x_test, y_test = split(x, y)
    say = (lambda *a: None) if quiet else print
    say(f"digits: {len(x_train)} training and {len(x_test)} test images of 8x8, {args.epochs} epoch(s), "
        f"batch {BATCH}, SGD(lr={LR}, momentum={MOMENTUM})")

    keras.utils.set_random_seed(SEED)
    model = keras_model(keras)
    mx.random.seed(SEED)
    net = gluon_net(mx)
    net.initialize()
    net(mx.nd.array(x_train[:1]))           # shapes of deferred parameters
    transfer(k_units(model), g_units(net), NAMES)   # both start from the Keras model's initial weights

    t0 = time.perf_counter()
    say("\n== Keras (model.fit) ==")
    train_keras(keras, model, x_train, y_train, args.epochs, quiet)
    t1 = time.perf_counter()
    say("\n== Gluon (autograd + Trainer) ==")
    train_gluon(mx, net, x_train, y_train, args.epochs, quiet)
    t2 = time.perf_counter()

    logits_k = np.asarray(model.predict(x_test, batch_size=BATCH, verbose=0))
    logits_g = gluon_logits(mx, net, x_test)
    acc_k = float((logits_k.argmax(axis=1) == y_test).mean())
    acc_g = float((logits_g.argmax(axis=1) == y_test).mean())
    print(f"\nKeras test accuracy: {acc_k:.4f}   (trained in {t1 - t0:.1f}s)")
    print(f"Gluon test accuracy: {acc_g:.4f}   (trained in {t2 - t1:.1f}s)")
    diffs = differences(pair_units(k_units(model), g_units(net), NAMES), logits_k, logits_g)

    paths = [os.path.join(out, n) for n in ("digits_cnn.keras", "digits_cnn.weights.h5", "digits_cnn.params")]
    model.save(paths[0])
    model.save_weights(paths[1])
    net.save_parameters(paths[2])
    print("saved: " + ", ".join(paths))
    if diffs:
        print("bitwise identical: no", file=sys.stdout)
        for d in diffs:
            print(f"  {d}")
        return 1
    print("bitwise identical: yes (every parameter and the test logits, byte for byte)")
    return 0
