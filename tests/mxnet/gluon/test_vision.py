"""mx.gluon.data.vision: dataset readers on tiny files written in the real formats, and transforms
against real MXNet 1.9.1 outputs (data/data_transforms_mxnet191.npz, made by data/data_make_fixtures.py)."""
import gzip
import os
import struct

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl_mxnet.gluon.data import DataLoader
from unidl_mxnet.gluon.data.vision import CIFAR10, CIFAR100, MNIST, FashionMNIST
from unidl_mxnet.gluon.data.vision import transforms as T

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = np.load(os.path.join(HERE, "data", "data_transforms_mxnet191.npz"), allow_pickle=False)


def write_idx(path, arr, magic):
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">I", magic) + b"".join(struct.pack(">I", s) for s in arr.shape))
        f.write(arr.astype(np.uint8).tobytes())


def mnist_files(root, prefix, n, seed):
    rng = np.random.RandomState(seed)
    images = rng.randint(0, 256, (n, 28, 28)).astype(np.uint8)
    labels = rng.randint(0, 10, n).astype(np.uint8)
    write_idx(os.path.join(root, f"{prefix}-images-idx3-ubyte.gz"), images, 2051)
    write_idx(os.path.join(root, f"{prefix}-labels-idx1-ubyte.gz"), labels, 2049)
    return images, labels


@pytest.mark.parametrize("klass", [MNIST, FashionMNIST])
def test_mnist_reads_idx_files(tmp_path, klass):
    tr_img, tr_lab = mnist_files(str(tmp_path), "train", 5, 0)
    te_img, te_lab = mnist_files(str(tmp_path), "t10k", 3, 1)
    train = klass(root=str(tmp_path))
    assert len(train) == 5
    img, lab = train[2]
    assert isinstance(img, mx.nd.NDArray) and img.shape == (28, 28, 1) and img.dtype == np.uint8
    assert isinstance(lab, np.int32) and lab == tr_lab[2]
    np.testing.assert_array_equal(img.asnumpy()[:, :, 0], tr_img[2])
    test = klass(root=str(tmp_path), train=False, transform=lambda d, l: (d.astype("float32") / 255, l + 100))
    img, lab = test[1]
    assert len(test) == 3 and lab == te_lab[1] + 100
    np.testing.assert_allclose(img.asnumpy()[:, :, 0], te_img[1] / np.float32(255), rtol=1e-6)


def write_cifar(path, n, seed, label_bytes=1):
    rng = np.random.RandomState(seed)
    chw = rng.randint(0, 256, (n, 3, 32, 32)).astype(np.uint8)
    labels = rng.randint(0, 10, (n, label_bytes)).astype(np.uint8)
    with open(path, "wb") as f:
        f.write(np.concatenate([labels, chw.reshape(n, -1)], axis=1).tobytes())
    return chw.transpose(0, 2, 3, 1), labels


def test_cifar10_reads_binary_batches(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    parts = [write_cifar(str(folder / f"data_batch_{i}.bin"), 2, i) for i in range(1, 6)]
    test_img, test_lab = write_cifar(str(folder / "test_batch.bin"), 3, 9)
    train = CIFAR10(root=str(tmp_path))
    assert len(train) == 10
    img, lab = train[7]  # batch 4, second record
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8 and isinstance(lab, np.int32)
    np.testing.assert_array_equal(img.asnumpy(), parts[3][0][1])
    assert lab == parts[3][1][1, 0]
    test = CIFAR10(root=str(tmp_path), train=False)
    np.testing.assert_array_equal(test[2][0].asnumpy(), test_img[2])
    assert [int(test[i][1]) for i in range(3)] == test_lab[:, 0].tolist()
    data, label = next(iter(DataLoader(test.transform_first(T.ToTensor()), batch_size=3)))
    assert data.shape == (3, 3, 32, 32) and label.dtype == np.int32


def test_cifar100_fine_and_coarse(tmp_path):
    img, lab = write_cifar(str(tmp_path / "train.bin"), 4, 3, label_bytes=2)
    coarse, fine = CIFAR100(root=str(tmp_path)), CIFAR100(root=str(tmp_path), fine_label=True)
    assert [int(coarse[i][1]) for i in range(4)] == lab[:, 0].tolist()
    assert [int(fine[i][1]) for i in range(4)] == lab[:, 1].tolist()
    np.testing.assert_array_equal(fine[3][0].asnumpy(), img[3])


def test_missing_files_name_files_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        MNIST(root=str(tmp_path))
    msg = str(err.value)
    assert "train-images-idx3-ubyte.gz" in msg and "train-labels-idx1-ubyte.gz" in msg and str(tmp_path) in msg
    with pytest.raises(FileNotFoundError, match="test_batch.bin") as err:
        CIFAR10(root=str(tmp_path), train=False)
    assert "cifar-10-batches-bin" in str(err.value)
    mnist_files(str(tmp_path), "train", 2, 0)
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte.gz"):
        MNIST(root=str(tmp_path), train=False)


def test_default_root_follows_mxnet_home(tmp_path, monkeypatch):
    from unidl_mxnet.gluon.data.vision import datasets

    monkeypatch.setenv("MXNET_HOME", str(tmp_path))
    assert datasets._default_root("mnist") == os.path.join(str(tmp_path), "datasets", "mnist")
    monkeypatch.delenv("MXNET_HOME")
    assert datasets._default_root("cifar10") == os.path.join(os.path.expanduser("~"), ".mxnet", "datasets", "cifar10")


def test_corrupt_files_give_clear_errors(tmp_path):
    write_idx(str(tmp_path / "train-images-idx3-ubyte.gz"), np.zeros((2, 28, 28)), 2051)
    write_idx(str(tmp_path / "train-labels-idx1-ubyte.gz"), np.zeros((2, 28, 28)), 2051)  # wrong magic
    with pytest.raises(ValueError, match="magic number 2051, expected 2049"):
        MNIST(root=str(tmp_path))
    (tmp_path / "test_batch.bin").write_bytes(b"\0" * 100)
    with pytest.raises(ValueError, match="3073-byte records"):
        CIFAR10(root=str(tmp_path), train=False)


BLOCKS = {
    "resize_u8_down": lambda: T.Resize((6, 3)), "resize_u8_up": lambda: T.Resize((23, 17)),
    "resize_u8_wide": lambda: T.Resize((40, 30)), "resize_u8_half": lambda: T.Resize((16, 12)),
    "resize_u8_gray": lambda: T.Resize((9, 11)), "resize_u8_keep": lambda: T.Resize(10, keep_ratio=True),
    "resize_u8_batch": lambda: T.Resize((5, 6)), "resize_u8_nearest": lambda: T.Resize((11, 4), interpolation=0),
    "resize_f32_down": lambda: T.Resize((6, 3)), "resize_f32_up": lambda: T.Resize((19, 13)),
    "centercrop_u8": lambda: T.CenterCrop((6, 4)), "centercrop_u8_small": lambda: T.CenterCrop(20),
    "totensor_u8": T.ToTensor, "totensor_batch": T.ToTensor,
    "normalize": lambda: T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "normalize_scalar": lambda: T.Normalize(0.5, 0.25),
    "compose": lambda: T.Compose([T.Resize(8), T.CenterCrop(6), T.ToTensor(), T.Normalize(0.5, 0.2)]),
    "cast_f16": lambda: T.Cast("float16"),
}


@pytest.mark.parametrize("case", sorted(BLOCKS))
def test_transform_matches_mxnet(case):
    x, want = FIX[case + "_in"], FIX[case + "_out"]
    got = BLOCKS[case]()(mx.nd.array(x, dtype=x.dtype)).asnumpy()
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)  # bit-exact, uint8 bilinear included


def test_random_flips_are_seeded_and_flip():
    img = mx.nd.array(np.arange(24).reshape(2, 4, 3), dtype="uint8")
    for klass, axis in [(T.RandomFlipLeftRight, 1), (T.RandomFlipTopBottom, 0)]:
        mx.random.seed(3)
        outs = [klass()(img).asnumpy() for _ in range(16)]
        mx.random.seed(3)
        again = [klass()(img).asnumpy() for _ in range(16)]
        assert all((a == b).all() for a, b in zip(outs, again))
        flipped = [(o == np.flip(img.asnumpy(), axis)).all() for o in outs]
        kept = [(o == img.asnumpy()).all() for o in outs]
        assert all(f or k for f, k in zip(flipped, kept)) and any(flipped) and any(kept)


def test_normalize_integer_image_truncates_like_mxnet():
    x = mx.nd.array(np.full((3, 2, 2), 10), dtype="uint8")
    out = T.Normalize(0.5, 2)(x)  # MXNet 1.9.1 gives (10 - 0.5) / 2 = 4.75 -> 4, still uint8
    assert out.dtype == np.uint8 and (out.asnumpy() == 4).all()


def test_transform_errors_and_compose_structure():
    with pytest.raises(mx.MXNetError, match=r"\(4, 5\)"):
        T.ToTensor()(mx.nd.zeros((4, 5)))
    with pytest.raises(mx.MXNetError, match="mean must have either 1 or 3 elements"):
        T.Normalize((0.5, 0.1), 0.2)(mx.nd.zeros((3, 4, 5)))
    with pytest.raises(mx.MXNetError, match="interpolation method 5"):
        T.Resize(4, interpolation=5)(mx.nd.zeros((6, 6, 3), dtype="uint8"))
    c = T.Compose([T.Resize(4), T.ToTensor(), T.CenterCrop(2)])
    assert len(c) == 2 and isinstance(c, mx.gluon.nn.Sequential)
    assert isinstance(c[0], mx.gluon.nn.HybridSequential)
