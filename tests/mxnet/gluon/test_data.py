"""mx.gluon.data: datasets, samplers and the DataLoader, against what real MXNet 1.9.1 returned
(data/data_loader_mxnet191.npz, made by data/data_make_fixtures.py) and hand-written expectations."""
import json
import os
import sys

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl_mxnet.gluon.data import (ArrayDataset, BatchSampler, DataLoader, Dataset, FilterSampler,
                                    RandomSampler, Sampler, SequentialSampler, SimpleDataset)

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(HERE, "data"))
from batch_desc import describer  # noqa: E402

WANT = json.loads(str(np.load(os.path.join(HERE, "data", "data_loader_mxnet191.npz"), allow_pickle=False)["loader"]))
desc = describer(mx)
X = mx.nd.array(np.arange(20).reshape(10, 2))
Y = mx.nd.array(np.arange(10), dtype="int32")


def first(dl):
    return desc(next(iter(dl)))


def test_public_names():
    assert mx.gluon.data.DataLoader is DataLoader
    assert mx.gluon.data.vision.MNIST is not None
    assert mx.gluon.data.vision.transforms.ToTensor is not None


def test_array_dataset_sample_matches_mxnet():
    assert desc(ArrayDataset(X, Y)[0]) == WANT["sample0"]


@pytest.mark.parametrize("last_batch", ["keep", "discard", "rollover"])
def test_last_batch_matches_mxnet(last_batch):
    dl = DataLoader(ArrayDataset(X, Y), batch_size=4, last_batch=last_batch)
    got = [len(dl)] + [[desc(b) for b in dl] for _ in range(3)]
    assert got == WANT["last_batch_" + last_batch]


def test_default_batchify_matches_mxnet():
    assert first(DataLoader(ArrayDataset(np.arange(6).reshape(3, 2).astype("float64"), [1, 2, 3]),
                            batch_size=2)) == WANT["numpy_pair"]
    single = ArrayDataset(np.arange(6).reshape(3, 2).astype("float64"))
    assert first(DataLoader(single, batch_size=2)) == WANT["numpy_single"]
    assert first(DataLoader(SimpleDataset([(1, 2.5), (3, 4.5)]), batch_size=2)) == WANT["tuples"]
    assert first(DataLoader(SimpleDataset([[1, 2.5], [3, 4.5]]), batch_size=2)) == WANT["lists"]
    assert first(DataLoader(X, batch_size=3)) == WANT["ndarray_dataset"]


def test_dataset_views_match_mxnet():
    ds = ArrayDataset(X, Y)
    assert [[desc(s) for s in ds.shard(3, i)] for i in range(3)] == WANT["shard"]
    assert [len(ds.take(4)), len(ds.take(None)), len(ds.take(50))] == WANT["take"]
    assert [desc(s) for s in ds.filter(lambda s: s[1] % 3 == 0)] == WANT["filter"]
    assert desc(ds.transform_first(lambda x: x * 2)[1]) == WANT["transform_first"]
    assert desc(ds.transform(lambda x, lab: lab)[2]) == WANT["transform"]
    assert [desc(s) for s in ds.transform(lambda x, lab: x + 1, lazy=False)] == WANT["transform_eager"]


def test_samplers_match_mxnet():
    bs = BatchSampler(SequentialSampler(5), 2, "rollover")
    assert [[list(bs), len(bs)] for _ in range(3)] == WANT["rollover_sampler"]
    assert list(BatchSampler(SequentialSampler(5, 2), 2, "keep")) == WANT["sequential_start"]
    assert list(BatchSampler(SequentialSampler(7), 3, "discard")) == [[0, 1, 2], [3, 4, 5]]
    assert list(FilterSampler(lambda s: s > 2, [5, 1, 3, 0])) == [0, 2]


def test_shuffle_uses_unidl_seed():
    ds = ArrayDataset(np.arange(50))
    mx.random.seed(42)
    a = [b.asnumpy().tolist() for b in DataLoader(ds, batch_size=8, shuffle=True)]
    b_epoch2 = [b.asnumpy().tolist() for b in DataLoader(ds, batch_size=8, shuffle=True)]
    mx.random.seed(42)
    np.random.seed(0)  # NumPy's global state must not matter
    b = [b.asnumpy().tolist() for b in DataLoader(ds, batch_size=8, shuffle=True)]
    assert a == b
    assert a != b_epoch2
    flat = sorted(v for batch in a for v in batch)
    assert flat == list(range(50)) and [len(x) for x in a] == [8] * 6 + [2]
    assert sorted(RandomSampler(9)) == list(range(9)) and len(RandomSampler(9)) == 9


def test_custom_batchify_batch_sampler_and_workers():
    ds = SimpleDataset(list(range(7)))
    dl = DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(7), 3), batchify_fn=lambda xs: sum(xs))
    assert list(dl) == [3, 12, 6] and len(dl) == 3
    dl = DataLoader(ds, batch_size=4, num_workers=2)  # accepted; loads in-process
    assert [b.asnumpy().tolist() for b in dl] == [[0, 1, 2, 3], [4, 5, 6]]
    ds2 = ArrayDataset(mx.nd.ones((4, 2, 3)), mx.nd.array([1, 2, 3, 4]))
    data, label = next(iter(DataLoader(ds2, batch_size=4)))
    assert data.shape == (4, 2, 3) and label.dtype == np.float32 and label.asnumpy().tolist() == [1, 2, 3, 4]


def test_loader_and_dataset_errors():
    ds = ArrayDataset(X, Y)
    with pytest.raises(AssertionError, match=r"array\[0\] has length 10 while array\[2\] has 4"):
        ArrayDataset(X, Y[:4], Y)
    with pytest.raises(ValueError, match="shuffle must not be specified if sampler is specified"):
        DataLoader(ds, batch_size=2, shuffle=True, sampler=SequentialSampler(10))
    with pytest.raises(ValueError, match="batch_size must be specified"):
        DataLoader(ds)
    with pytest.raises(ValueError, match="must not be specified if batch_sampler"):
        DataLoader(ds, batch_size=2, batch_sampler=BatchSampler(SequentialSampler(10), 3))
    with pytest.raises(ValueError, match="last_batch must be one of 'keep', 'discard', or 'rollover', but got foo"):
        DataLoader(ds, batch_size=2, last_batch="foo")
    with pytest.raises(TypeError, match="Expected gluon.data.Sampler"):
        ds.sample([0, 1])
    with pytest.raises(AssertionError, match="out of bound"):
        ds.shard(2, 2)
    with pytest.raises(NotImplementedError):
        len(Dataset())
    assert isinstance(SequentialSampler(3), Sampler)
    assert [s for s in ds.sample(SequentialSampler(2, 5))][1][1] == 6
