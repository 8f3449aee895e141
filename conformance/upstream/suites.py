"""The upstream suites the runner knows: where their tests live in a checkout, what is in scope,
and every helper-only shim the runner puts in front of them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Tuple

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Suite:
    """One framework's own test suite, run against a unidl face."""

    name: str                      # the framework's import name, e.g. "mxnet"
    version: str                   # the tag the baseline was recorded at
    test_dir: str                  # the tests' folder, relative to the checkout root
    files: Tuple[str, ...]         # test files run, relative to test_dir
    face_plugin: str               # pytest plugin (in plugins/) that installs the face's aliases
    out_of_scope: Tuple[Tuple[str, str], ...]  # (regex over a test's source, reason)
    shims: Dict[str, str] = field(default_factory=dict)  # shim module -> why (helpers only)
    real_env: str = ""             # how the baseline's scratch venv was made

    @property
    def baseline_path(self) -> Path:
        return HERE / "baselines" / f"{self.name}-{self.version}.json"

    @property
    def table_path(self) -> Path:
        return HERE.parent.parent / "docs" / f"compat-{self.name}.md"


MXNET = Suite(
    name="mxnet",
    version="1.9.1",
    test_dir="tests/python/unittest",
    files=("test_autograd.py", "test_gluon.py", "test_gluon_rnn.py", "test_gluon_trainer.py",
           "test_init.py", "test_loss.py", "test_metric.py", "test_ndarray.py", "test_numpy_gluon.py",
           "test_numpy_ndarray.py", "test_optimizer.py", "test_random.py", "test_gluon_data_vision.py",
           "test_gluon_estimator.py", "test_gluon_event_handler.py", "test_gluon_batch_processor.py"),
    face_plugin="upstream_mxnet_face",
    out_of_scope=(
        (r"\bmx\.sym(bol)?\b|\bsym\.[A-Za-z]|\bSymbolBlock\b|\.simple_bind\(|\._bind\(|\.bind\(|"
         r"check_symbolic_(forward|backward)|check_numeric_gradient|check_consistency|"
         r"\.tojson\(|\bmx\.sym\b|_as_list\(sym|\bget_internals\(", "Symbol API"),
        (r"\bmx\.mod(ule)?\b|\bModule\(|\bBucketingModule\b", "Module API"),
        (r"\bmx\.gpu\(|\bgpu\(|num_gpus\(|\bcudnn\b|use_gpu|mx\.context\.gpu", "GPU"),
        (r"\bdownload\(|pretrained\s*=\s*True|get_model_file\(", "download"),
    ),
    shims={
        "nose": "nose 1.3.7 does not import on Python >= 3.10; the tests use only nose.tools "
                "assertion helpers and decorators (shims/nose, also used for the baseline run)",
    },
    real_env="python3.11 venv: numpy==1.23.5 mxnet==1.9.1 pytest==9.0.3 hypothesis scipy Pillow",
)

SUITES = {s.name: s for s in (MXNET,)}
