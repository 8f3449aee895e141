"""gluon.data.RecordFileDataset and vision.ImageRecordDataset / ImageFolderDataset (images made with Pillow
in tmp_path; the RecordIO fixture was written by real MXNet 1.9.1)."""
import os
import warnings

import numpy as np
import pytest
from PIL import Image

import unidl_mxnet as mx
from unidl_mxnet.gluon.data import DataLoader, RecordFileDataset
from unidl_mxnet.gluon.data.vision import ImageFolderDataset, ImageRecordDataset, transforms

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data")
REC = os.path.join(DATA, "recordio_mxnet191.rec")
FIX = np.load(os.path.join(DATA, "recordio_mxnet191.npz"))


def test_record_file_dataset_reads_mxnet_file():
    ds = RecordFileDataset(REC)
    assert len(ds) == 6
    assert [ds[i] for i in range(6)] == [FIX[f"rec{i}"].tobytes() for i in range(6)]
    assert ds.idx_file == os.path.join(DATA, "recordio_mxnet191.idx")


def test_image_record_dataset_decodes_like_mxnet():
    ds = ImageRecordDataset(REC)
    img, label = ds[3]  # a PNG record
    assert label == 2.0 and img.dtype == np.uint8
    np.testing.assert_array_equal(img.asnumpy(), FIX["img3"])
    img, label = ds[4]  # a JPEG record: decoders may differ by a few levels
    assert label == 5.0 and np.abs(img.asnumpy().astype(int) - FIX["img4"]).max() <= 3


def _make_rec(tmp_path, images, labels):
    rec, idx = str(tmp_path / "imgs.rec"), str(tmp_path / "imgs.idx")
    w = mx.recordio.MXIndexedRecordIO(idx, rec, "w")
    for i, (im, lab) in enumerate(zip(images, labels)):
        w.write_idx(i, mx.recordio.pack_img(mx.recordio.IRHeader(0, lab, i, 0), im[:, :, ::-1], img_fmt=".png"))
    w.close()
    return rec


def test_image_record_dataset_flag_transform_and_loader(tmp_path):
    rng = np.random.RandomState(0)
    images = [rng.randint(0, 256, (6, 8, 3)).astype(np.uint8) for _ in range(5)]
    rec = _make_rec(tmp_path, images, [0.0, 1.0, 2.0, [3.0, 4.0], 4.0])
    ds = ImageRecordDataset(rec)
    assert len(ds) == 5
    for i in (0, 2, 4):
        np.testing.assert_array_equal(ds[i][0].asnumpy(), images[i])
        assert ds[i][1] == float(i)
    np.testing.assert_array_equal(ds[3][1], np.array([3.0, 4.0], np.float32))
    gray = ImageRecordDataset(rec, flag=0)[1][0]
    assert gray.shape == (6, 8, 1)
    seen = []
    ds_t = ImageRecordDataset(rec, transform=lambda d, l: (seen.append(d.shape) or d.astype("float32") / 255, l))
    x, _ = ds_t[0]
    assert seen == [(6, 8, 3)] and x.dtype == np.float32
    np.testing.assert_allclose(x.asnumpy(), images[0] / np.float32(255), rtol=1e-6)
    loader = DataLoader(ImageRecordDataset(rec).take(3).transform_first(transforms.ToTensor()), batch_size=3)
    data, label = next(iter(loader))
    assert data.shape == (3, 3, 6, 8)
    np.testing.assert_array_equal(label.asnumpy(), [0.0, 1.0, 2.0])


def _make_folder(tmp_path):
    rng = np.random.RandomState(1)
    root = tmp_path / "root"
    arrays = {}
    for cls, names in (("dog", ["b.png", "a.jpeg"]), ("cat", ["x.PNG", "notes.txt"])):
        (root / cls).mkdir(parents=True)
        for n in names:
            path = root / cls / n
            if n.endswith(".txt"):
                path.write_text("not an image")
                continue
            fmt = "PNG" if n.lower().endswith(".png") else "JPEG"
            arr = rng.randint(0, 256, (5, 4, 3)).astype(np.uint8)
            if fmt == "JPEG":  # smooth, so the lossy round trip stays close
                arr = np.broadcast_to(np.array([40, 120, 200], np.uint8), (5, 4, 3)).copy()
            Image.fromarray(arr).save(str(path), format=fmt, quality=95)
            arrays[str(path)] = arr
    (root / "stray.png").write_bytes(b"")
    return root, arrays


@pytest.mark.filterwarnings("ignore:Ignoring")
def test_image_folder_dataset(tmp_path):
    root, arrays = _make_folder(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = ImageFolderDataset(str(root))
    messages = [str(w.message) for w in caught]
    assert any("stray.png, which is not a directory" in m for m in messages)
    assert any("notes.txt of type .txt" in m for m in messages)
    assert ds.synsets == ["cat", "dog"]
    assert ds.items == [(os.path.join(str(root), "cat", "x.PNG"), 0), (os.path.join(str(root), "dog", "a.jpeg"), 1),
                        (os.path.join(str(root), "dog", "b.png"), 1)]
    assert len(ds) == 3
    img, label = ds[0]
    assert label == 0 and isinstance(label, int)
    np.testing.assert_array_equal(img.asnumpy(), arrays[ds.items[0][0]])
    np.testing.assert_array_equal(ds[2][0].asnumpy(), arrays[ds.items[2][0]])
    assert np.abs(ds[1][0].asnumpy().astype(int) - arrays[ds.items[1][0]]).max() <= 3  # JPEG is lossy
    assert ImageFolderDataset(str(root), flag=0)[0][0].shape == (5, 4, 1)
    flipped = ImageFolderDataset(str(root), transform=lambda d, l: (d[:, ::-1], l + 10))[0]
    assert flipped[1] == 10
    np.testing.assert_array_equal(flipped[0].asnumpy(), arrays[ds.items[0][0]][:, ::-1])
    with pytest.raises(FileNotFoundError, match="is not a directory"):
        ImageFolderDataset(str(tmp_path / "nowhere"))
