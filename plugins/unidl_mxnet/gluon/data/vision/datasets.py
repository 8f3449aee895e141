"""``mx.gluon.data.vision`` datasets read from the standard files on disk (never downloaded).

Samples are ``(image, label)``: the image an HWC uint8 NDArray, the label a NumPy int32 scalar, as
MXNet 1.9 returns them. Files are looked for under ``root`` (default ``$MXNET_HOME/datasets/<name>``,
``MXNET_HOME`` defaulting to ``~/.mxnet``); when one is missing the error names the files and the directory.
"""
from __future__ import annotations

import gzip
import os
import warnings
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from ....ndarray import ndarray as _ndarray
from ..dataset import Dataset, RecordFileDataset


def _data_dir() -> str:
    """MXNet's data directory: ``$MXNET_HOME``, else ``%APPDATA%/mxnet`` on Windows, else ``~/.mxnet``."""
    if os.environ.get("MXNET_HOME"):
        return os.environ["MXNET_HOME"]
    if os.name == "nt" and os.environ.get("APPDATA"):
        return os.path.join(os.environ["APPDATA"], "mxnet")
    return os.path.join(os.path.expanduser("~"), ".mxnet")


def _default_root(name: str) -> str:
    return os.path.join(_data_dir(), "datasets", name)


def _missing(dataset: str, root: str, files: Sequence[str], missing: Sequence[str]) -> FileNotFoundError:
    return FileNotFoundError(
        f"{dataset}: cannot find {', '.join(missing)} in directory {root!r} (expected files: "
        f"{', '.join(files)}). unidl_mxnet never downloads datasets: put the standard {dataset} files "
        f"there, or pass root= the directory that holds them.")


class _DownloadedDataset(Dataset):
    """Base of the file-backed datasets: ``self._data`` (NDArray, N first) and ``self._label`` (NumPy)."""

    def __init__(self, root: str, transform: Optional[Callable[..., Any]]) -> None:
        self._transform = transform
        self._root = os.path.expanduser(root)
        self._data: Any = None
        self._label: Any = None
        self._get_data()

    def __getitem__(self, idx: int) -> Any:
        if self._transform is not None:
            return self._transform(self._data[idx], self._label[idx])
        return self._data[idx], self._label[idx]

    def __len__(self) -> int:
        return len(self._label)

    def _get_data(self) -> None:
        raise NotImplementedError


def _read_idx(path: str, dataset: str, magic: int, ndim: int) -> np.ndarray:
    """An idx file (big-endian header: magic, then ``ndim`` int32 sizes; then uint8 data), gzipped or not."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as err:
        raise ValueError(f"{dataset}: cannot read {path!r}: {err}") from None
    head = 4 * (1 + ndim)
    if len(raw) < head:
        raise ValueError(f"{dataset}: {path!r} is too short for an idx header ({len(raw)} bytes)")
    fields = np.frombuffer(raw[:head], dtype=">u4")
    if int(fields[0]) != magic:
        raise ValueError(f"{dataset}: {path!r} is not an idx file of {ndim}-d uint8 data "
                         f"(magic number {int(fields[0])}, expected {magic})")
    shape = tuple(int(s) for s in fields[1:])
    body = np.frombuffer(raw, dtype=np.uint8, offset=head)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{dataset}: {path!r} header says shape {shape} ({int(np.prod(shape))} bytes) but "
                         f"holds {body.size} bytes of data")
    return body.reshape(shape)


class MNIST(_DownloadedDataset):
    """MNIST handwritten digits: samples ``(image (28, 28, 1) uint8 NDArray, int32 label)``.

    Reads ``train-images-idx3-ubyte.gz`` / ``train-labels-idx1-ubyte.gz`` (``train=True``) or the
    ``t10k-*`` pair from ``root``. ``transform(data, label)`` is applied to each sample.
    """

    _name = "MNIST"
    _train_files = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
    _test_files = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")

    def __init__(self, root: str = _default_root("mnist"), train: bool = True,
                 transform: Optional[Callable[..., Any]] = None) -> None:
        self._train = train
        super().__init__(root, transform)

    def _find(self, files: Sequence[str]) -> List[str]:
        found, missing = [], []
        for name in files:
            path = os.path.join(self._root, name)
            plain = path[:-3]  # an already-unzipped copy is fine too
            if os.path.isfile(path):
                found.append(path)
            elif os.path.isfile(plain):
                found.append(plain)
            else:
                missing.append(name)
        if missing:
            raise _missing(self._name, self._root, files, missing)
        return found

    def _get_data(self) -> None:
        image_path, label_path = self._find(self._train_files if self._train else self._test_files)
        label = _read_idx(label_path, self._name, 2049, 1).astype(np.int32)
        images = _read_idx(image_path, self._name, 2051, 3)
        if images.shape[0] != label.shape[0]:
            raise ValueError(f"{self._name}: {image_path!r} holds {images.shape[0]} images but {label_path!r} "
                             f"holds {label.shape[0]} labels")
        images = images.reshape(images.shape + (1,))
        self._data = _ndarray.from_any(images, dtype=np.uint8)
        self._label = label


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando), a drop-in MNIST replacement read from the same idx file names under
    ``root`` (default ``$MXNET_HOME/datasets/fashion-mnist``)."""

    _name = "FashionMNIST"

    def __init__(self, root: str = _default_root("fashion-mnist"), train: bool = True,
                 transform: Optional[Callable[..., Any]] = None) -> None:
        super().__init__(root, train, transform)


class CIFAR10(_DownloadedDataset):
    """CIFAR-10: samples ``(image (32, 32, 3) uint8 NDArray, int32 label)``.

    Reads the binary batches ``data_batch_1.bin`` ... ``data_batch_5.bin`` (``train=True``) or
    ``test_batch.bin``, each record one label byte then 3072 bytes of CHW pixels, from ``root`` or from
    ``root/cifar-10-batches-bin`` (where the official archive unpacks them).
    """

    _name = "CIFAR10"
    _subdir = "cifar-10-batches-bin"
    _train_files: Tuple[str, ...] = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
    _test_files: Tuple[str, ...] = ("test_batch.bin",)
    _label_bytes = 1

    def __init__(self, root: str = _default_root("cifar10"), train: bool = True,
                 transform: Optional[Callable[..., Any]] = None) -> None:
        self._train = train
        super().__init__(root, transform)

    def _find(self, files: Sequence[str]) -> List[str]:
        for folder in (self._root, os.path.join(self._root, self._subdir)):
            paths = [os.path.join(folder, f) for f in files]
            if all(os.path.isfile(p) for p in paths):
                return paths
        missing = [f for f in files if not os.path.isfile(os.path.join(self._root, f))]
        err = _missing(self._name, self._root, files, missing)
        err.args = (err.args[0].replace("in directory", f"in directory (or its {self._subdir}/)", 1),)
        raise err

    def _read_batch(self, path: str) -> Tuple[np.ndarray, np.ndarray]:
        rec = 3072 + self._label_bytes
        with open(path, "rb") as f:
            raw = np.frombuffer(f.read(), dtype=np.uint8)
        if raw.size == 0 or raw.size % rec:
            raise ValueError(f"{self._name}: {path!r} has {raw.size} bytes, not a whole number of "
                             f"{rec}-byte records")
        raw = raw.reshape(-1, rec)
        images = raw[:, self._label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        return images, raw[:, self._label_column()].astype(np.int32)

    def _label_column(self) -> int:
        return 0

    def _get_data(self) -> None:
        parts = [self._read_batch(p) for p in self._find(self._train_files if self._train else self._test_files)]
        images = np.concatenate([p[0] for p in parts])
        self._data = _ndarray.from_any(np.ascontiguousarray(images), dtype=np.uint8)
        self._label = np.concatenate([p[1] for p in parts])


class CIFAR100(CIFAR10):
    """CIFAR-100 from ``train.bin`` / ``test.bin`` (two label bytes, coarse then fine, per record) in
    ``root`` or ``root/cifar-100-binary``; ``fine_label=True`` gives the 100 fine classes, else the 20
    coarse ones."""

    _name = "CIFAR100"
    _subdir = "cifar-100-binary"
    _train_files = ("train.bin",)
    _test_files = ("test.bin",)
    _label_bytes = 2

    def __init__(self, root: str = _default_root("cifar100"), fine_label: bool = False, train: bool = True,
                 transform: Optional[Callable[..., Any]] = None) -> None:
        self._fine_label = bool(fine_label)
        super().__init__(root, train, transform)

    def _label_column(self) -> int:
        return int(self._fine_label)


class ImageRecordDataset(RecordFileDataset):
    """Images in a RecordIO file (records made by ``recordio.pack_img`` / ``im2rec``): samples
    ``(image, label)``, the image an (H, W, 3) RGB uint8 NDArray (``flag=1``) or (H, W, 1) gray (``flag=0``),
    the label the record header's (float, or float32 array). ``transform(image, label)`` is applied to each
    sample. Decoding needs Pillow."""

    def __init__(self, filename: str, flag: int = 1, transform: Optional[Callable[..., Any]] = None) -> None:
        super().__init__(filename)
        self._flag = flag
        self._transform = transform

    def __getitem__(self, idx: int) -> Any:
        from .... import image, recordio

        header, img = recordio.unpack(super().__getitem__(idx))
        data = image.imdecode(img, self._flag)
        if self._transform is not None:
            return self._transform(data, header.label)
        return data, header.label


class ImageFolderDataset(Dataset):
    """Image files in one sub-folder per class (``root/<class>/<file>.jpg|.jpeg|.png``): samples
    ``(image, label)``, the image as :class:`ImageRecordDataset` gives it, the label the int index of the class
    folder in ``synsets`` (sorted folder names). ``items`` lists ``(path, label)``. Other files are skipped
    with a warning. Decoding needs Pillow."""

    def __init__(self, root: str, flag: int = 1, transform: Optional[Callable[..., Any]] = None) -> None:
        self._root = os.path.expanduser(root)
        self._flag = flag
        self._transform = transform
        self._exts = [".jpg", ".jpeg", ".png"]
        if not os.path.isdir(self._root):
            raise FileNotFoundError(f"ImageFolderDataset: root {self._root!r} is not a directory")
        self._list_images(self._root)

    def _list_images(self, root: str) -> None:
        self.synsets: List[str] = []
        self.items: List[Tuple[str, int]] = []
        for folder in sorted(os.listdir(root)):
            path = os.path.join(root, folder)
            if not os.path.isdir(path):
                warnings.warn("Ignoring %s, which is not a directory." % path, stacklevel=3)
                continue
            label = len(self.synsets)
            self.synsets.append(folder)
            for filename in sorted(os.listdir(path)):
                filename = os.path.join(path, filename)
                ext = os.path.splitext(filename)[1]
                if ext.lower() not in self._exts:
                    warnings.warn("Ignoring %s of type %s. Only support %s" % (filename, ext, ", ".join(self._exts)))
                    continue
                self.items.append((filename, label))

    def __getitem__(self, idx: int) -> Any:
        from .... import image

        img = image.imread(self.items[idx][0], self._flag)
        label = self.items[idx][1]
        if self._transform is not None:
            return self._transform(img, label)
        return img, label

    def __len__(self) -> int:
        return len(self.items)


__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "ImageRecordDataset", "ImageFolderDataset"]
