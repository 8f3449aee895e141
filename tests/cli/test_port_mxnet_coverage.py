"""``unidl port`` verdicts for MXNet scripts are honest: every API in the MXNet inventory resolves at run
time, names unidl deliberately lacks are reported unsupported by port and explained by ``unidl run``."""
from __future__ import annotations

import json
import textwrap

import unidl_mxnet
from unidl.cli import main as cli

SCRIPT = """\
import mxnet as mx
from mxnet import kv, test_utils
it = mx.io.NDArrayIter(mx.nd.ones((4, 2)), batch_size=2)
store = kv.create('local')
test_utils.assert_almost_equal(mx.nd.ones(2), mx.nd.ones(2))
loss = mx.gluon.loss.CTCLoss()
ps = mx.gluon.contrib.nn.PixelShuffle2D(2)
rec = mx.io.ImageRecordIter
img = mx.image.ImageIter
"""


def test_every_inventory_name_resolves():
    for name in unidl_mxnet._inventory():
        obj = unidl_mxnet
        for part in name.split(".")[1:]:
            obj = getattr(obj, part)  # raises if port would call a missing name supported


def test_port_reports_new_apis_supported_and_unsupported_ones_not(tmp_path, capsys):
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(SCRIPT))
    assert cli.main(["port", "--json", str(path)]) == 1
    res = json.loads(capsys.readouterr().out)
    verdict = {a["name"]: a["supported"] for a in res["apis"]}
    for ok in ("mxnet.io.NDArrayIter", "mxnet.kv.create", "mxnet.test_utils.assert_almost_equal",
               "mxnet.gluon.loss.CTCLoss", "mxnet.gluon.contrib.nn.PixelShuffle2D"):
        assert verdict[ok] is True, ok
    assert res["unsupported"] == ["mxnet.image.ImageIter", "mxnet.io.ImageRecordIter"]


def test_run_explains_a_deliberately_missing_api(tmp_path, capsys):
    path = tmp_path / "script.py"
    path.write_text("import mxnet as mx\nok = mx.io.NDArrayIter(mx.nd.ones((2, 1)))\nimg = mx.image.ImageIter(batch_size=1, data_shape=(3, 2, 2))\n")
    assert cli.main(["run", str(path)]) == 1
    err = capsys.readouterr().err
    assert "`mxnet.image.ImageIter` is not supported by unidl: unidl_mxnet does not implement the legacy" in err
    assert "line 3" in err
