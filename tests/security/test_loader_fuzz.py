"""Every loader meets damaged and hostile files with its face's one documented error class, leaves nothing on
disk and stays within bounded memory: .params, -symbol.json, .weights.h5, .keras, legacy .h5, RecordIO, Trainer
states and the embedded digits, under seeded mutations (truncation, bit flips, inflated length fields, deleted
bytes) and hostile JSON values. ``UNIDL_FUZZ_EXAMPLES`` (default 40 per loader) sets how many inputs each gets."""
from __future__ import annotations

import io
import json
import os
import random
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest

import unidl_keras as keras
import unidl_mxnet as mx
from unidl.cli import demo
from unidl_mxnet import autograd, gluon, nd

N = int(os.environ.get("UNIDL_FUZZ_EXAMPLES", "40"))
MEMORY_LIMIT = 256 << 20   # bytes a single load of these few-KB files may allocate at its peak
KERAS_ERROR = keras.saving.LoadError
MXNET_ERROR = mx.base.MXNetError
INFLATED = [b"\xff\xff\xff\xff", b"\xff\xff\xff\x7f", b"\x00\x00\x00\x80", b"\x00\x00\x10\x00", b"\xff" * 8]
HOSTILE = [None, -1, 0, 10 ** 30, 1e308, "", "x" * 5000, [], {}, [[[[]]]], True, 2 ** 63, "999999999999"]


def mutate(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    k = rng.randrange(4)
    if k == 0:
        return bytes(b[:rng.randrange(len(b) + 1)])
    if k == 1:
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
        return bytes(b)
    if k == 2:
        w = rng.choice(INFLATED)
        i = rng.randrange(max(1, len(b) - len(w)))
        b[i:i + len(w)] = w
        return bytes(b)
    i = rng.randrange(len(b))
    return bytes(b[:i] + b[i + 1:])


def _json_paths(o, p=()):
    yield p
    if isinstance(o, dict):
        for k, v in o.items():
            yield from _json_paths(v, p + (k,))
    elif isinstance(o, list):
        for i, v in enumerate(o):
            yield from _json_paths(v, p + (i,))


def hostile_json(doc, rng: random.Random) -> str:
    """``doc`` with one value anywhere replaced by a hostile one (or, now and then, absurdly deep nesting)."""
    if rng.random() < 0.03:
        return "[" * 50000 + "]" * 50000
    p = rng.choice(list(_json_paths(doc)))
    if not p:
        return json.dumps(rng.choice(HOSTILE))
    out = json.loads(json.dumps(doc))
    cur = out
    for k in p[:-1]:
        cur = cur[k]
    cur[p[-1]] = rng.choice(HOSTILE)
    return json.dumps(out)


# -- the valid files ---------------------------------------------------------------------------------------
def _keras_model():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(2)])


def _gluon_net():
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(3, in_units=4, activation="relu"), gluon.nn.Dense(2, in_units=3))
    net.initialize()
    return net


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("valid")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = _keras_model()
        m.compile(optimizer="adam", loss="mse")
        m.save(str(d / "m.keras"))
        m.save_weights(str(d / "m.weights.h5"))
        m.save(str(d / "m.h5"))
    net = _gluon_net()
    net.hybridize()
    net(nd.ones((1, 4)))
    net.export(str(d / "g"))
    net.save_parameters(str(d / "g.params"))
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.1})
    with autograd.record():
        loss = net(nd.ones((2, 4))).sum()
    loss.backward()
    trainer.step(2)
    trainer.save_states(str(d / "t.states"))
    w = mx.recordio.MXIndexedRecordIO(str(d / "r.idx"), str(d / "r.rec"), "w")
    for i in range(5):
        w.write_idx(i, bytes([i]) * (10 + i))
    w.close()
    return {p.name: p.read_bytes() for p in d.iterdir()} | {"digits.npz": _digits_bytes(), "_dir": d}


def _digits_bytes() -> bytes:
    from importlib import resources

    return resources.files("unidl").joinpath("data/digits.npz").read_bytes()


# -- loading one input -------------------------------------------------------------------------------------
def _load_keras(path, files):
    keras.saving.load_model(str(path))


def _load_weights(path, files):
    _keras_model().load_weights(str(path))


def _load_symbol(path, files):
    block = gluon.SymbolBlock.imports(str(path), ["data"], str(files["_dir"] / "g-0000.params"))
    block(nd.ones((1, 4)))


def _load_params(path, files):
    _gluon_net().load_parameters(str(path))


def _load_nd(path, files):
    nd.load(str(path))


def _load_states(path, files):
    net = _gluon_net()
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.1})
    trainer.load_states(str(path))
    with autograd.record():
        loss = net(nd.ones((2, 4))).sum()
    loss.backward()
    trainer.step(2)


def _load_rec(path, files):
    r = mx.recordio.MXRecordIO(str(path), "r")
    while r.read() is not None:
        pass
    r.close()


def _load_indexed(path, files):
    r = mx.recordio.MXIndexedRecordIO(str(path), str(files["_dir"] / "r.rec"), "r")
    for k in r.keys:
        r.read_idx(k)
    r.close()


def _load_digits(path, files):
    demo.parse_digits(path.read_bytes(), str(path))


# kind: (valid file, suffix of the mutated copy, loader, the face's error class)
LOADERS = {
    "keras": ("m.keras", ".keras", _load_keras, KERAS_ERROR),
    "weights.h5": ("m.weights.h5", ".weights.h5", _load_weights, KERAS_ERROR),
    "legacy.h5": ("m.h5", ".h5", _load_weights, KERAS_ERROR),
    "legacy.h5 model": ("m.h5", ".h5", _load_keras, KERAS_ERROR),
    "symbol.json": ("g-symbol.json", "-symbol.json", _load_symbol, MXNET_ERROR),
    "params": ("g.params", ".params", _load_params, MXNET_ERROR),
    "nd.load": ("g-0000.params", ".params", _load_nd, MXNET_ERROR),
    "trainer states": ("t.states", ".states", _load_states, MXNET_ERROR),
    "recordio": ("r.rec", ".rec", _load_rec, MXNET_ERROR),
    "recordio index": ("r.idx", ".idx", _load_indexed, MXNET_ERROR),
    "digits": ("digits.npz", ".npz", _load_digits, demo.DemoError),
}


def _check_one(kind, data, files, tmp_path):
    name, suffix, load, error = LOADERS[kind]
    path = tmp_path / f"input{suffix}"
    path.write_bytes(data)
    before = sorted(os.listdir(tmp_path))
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            load(path, files)
    except error:
        pass
    except Exception as e:  # noqa: BLE001 - the point: name what escaped
        raise AssertionError(f"{kind}: {type(e).__module__}.{type(e).__name__} escaped (expected "
                             f"{error.__name__}): {e}") from e
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < MEMORY_LIMIT, f"{kind}: a {len(data)}-byte input made the loader allocate {peak} bytes"
    assert sorted(os.listdir(tmp_path)) == before, f"{kind}: the loader left files behind"


@pytest.mark.parametrize("kind", list(LOADERS))
def test_mutated_files_raise_only_the_documented_error(kind, files, tmp_path):
    rng = random.Random(f"mutate-{kind}")
    valid = files[LOADERS[kind][0]]
    _check_one(kind, valid, files, tmp_path)          # the unmutated file loads
    for _ in range(N):
        _check_one(kind, mutate(valid, rng), files, tmp_path)


def _rezip(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    return buf.getvalue()


@pytest.mark.parametrize("member", ["config.json", "model.weights.h5", "metadata.json"])
def test_keras_archives_with_damaged_or_hostile_members(member, files, tmp_path):
    rng = random.Random(f"archive-{member}")
    with zipfile.ZipFile(io.BytesIO(files["m.keras"])) as z:
        members = {n: z.read(n) for n in z.namelist()}
    for _ in range(N):
        m = dict(members)
        if member.endswith(".json") and rng.random() < 0.7:
            m[member] = hostile_json(json.loads(members[member]), rng).encode()
        else:
            m[member] = mutate(members[member], rng)
        _check_one("keras", _rezip(m), files, tmp_path)


@pytest.mark.parametrize("kind", ["symbol.json", "trainer states"])
def test_hostile_json_values(kind, files, tmp_path):
    rng = random.Random(f"json-{kind}")
    if kind == "symbol.json":
        doc = json.loads(files["g-symbol.json"])
        for _ in range(N):
            _check_one(kind, hostile_json(doc, rng).encode(), files, tmp_path)
        return
    from unidl.io import mxnet_params
    from unidl_mxnet.optimizer.states_file import HEADER_KEY

    arrays, names = mxnet_params.loads(files["t.states"], "t.states")
    i = names.index(HEADER_KEY)
    header = json.loads(bytes(arrays[i]).decode())
    for _ in range(N):
        arrays[i] = np.frombuffer(hostile_json(header, rng).encode(), dtype=np.uint8).copy()
        _check_one(kind, mxnet_params.dumps(arrays, names), files, tmp_path)
