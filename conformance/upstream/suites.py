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
    env: Dict[str, str] = field(default_factory=dict)  # environment both runs get (e.g. the backend)
    real_env_vars: Dict[str, str] = field(default_factory=dict)  # environment only the baseline run gets
    face_env_vars: Dict[str, str] = field(default_factory=dict)  # environment only the face run gets
    face_env_by_file: Dict[str, Dict[str, str]] = field(default_factory=dict)  # ... for one file's face run

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
        "numpy.NaN / numpy.Inf": "NumPy 2 removed these aliases, which the tests write; the baseline ran on "
                                 "NumPy 1.23.5, unidl runs on NumPy 2 (plugins/upstream_numpy2_compat.py)",
    },
    real_env="python3.11 venv: numpy==1.23.5 mxnet==1.9.1 pytest==9.0.3 hypothesis scipy Pillow",
)

KERAS_FILES = (
    # ops
    "ops/numpy_test.py", "ops/math_test.py", "ops/core_test.py", "ops/nn_test.py",
    # core layers and attention
    "layers/core/dense_test.py", "layers/core/einsum_dense_test.py", "layers/core/embedding_test.py",
    "layers/attention/multi_head_attention_test.py",
    # pooling
    "layers/pooling/adaptive_pooling1d_test.py", "layers/pooling/adaptive_pooling2d_test.py",
    "layers/pooling/adaptive_pooling3d_test.py", "layers/pooling/average_pooling_test.py",
    "layers/pooling/max_pooling_test.py", "layers/pooling/global_average_pooling_test.py",
    "layers/pooling/global_max_pooling_test.py",
    # reshaping
    "layers/reshaping/cropping1d_test.py", "layers/reshaping/cropping2d_test.py",
    "layers/reshaping/cropping3d_test.py", "layers/reshaping/flatten_test.py", "layers/reshaping/permute_test.py",
    "layers/reshaping/repeat_vector_test.py", "layers/reshaping/reshape_test.py",
    "layers/reshaping/up_sampling1d_test.py", "layers/reshaping/up_sampling2d_test.py",
    "layers/reshaping/up_sampling3d_test.py", "layers/reshaping/zero_padding1d_test.py",
    "layers/reshaping/zero_padding2d_test.py", "layers/reshaping/zero_padding3d_test.py",
    # convolution
    "layers/convolutional/conv_test.py", "layers/convolutional/conv_transpose_test.py",
    "layers/convolutional/depthwise_conv_test.py", "layers/convolutional/separable_conv_test.py",
    # models, saving, training
    "models/functional_test.py", "models/model_test.py", "models/sequential_test.py",
    "saving/saving_api_test.py", "trainers/trainer_test.py",
    # losses and metrics
    "losses/loss_test.py", "losses/losses_test.py",
    "metrics/confusion_metrics_test.py", "metrics/regression_metrics_test.py",
    # optimizers
    "optimizers/adadelta_test.py", "optimizers/adafactor_test.py", "optimizers/adagrad_test.py",
    "optimizers/adam_test.py", "optimizers/adamax_test.py", "optimizers/adamw_test.py", "optimizers/ftrl_test.py",
    "optimizers/lamb_test.py", "optimizers/lion_test.py", "optimizers/loss_scale_optimizer_test.py",
    "optimizers/multi_optimizer_test.py", "optimizers/muon_test.py", "optimizers/nadam_test.py",
    "optimizers/optimizer_sparse_test.py", "optimizers/optimizer_test.py", "optimizers/rmsprop_test.py",
    "optimizers/schedule_free_adamw_test.py", "optimizers/sgd_test.py",
    "optimizers/schedules/learning_rate_schedule_test.py",
    # initializers
    "initializers/constant_initializers_test.py", "initializers/initializer_test.py",
    "initializers/random_initializers_test.py",
)

# Helper-only stand-ins the Keras face plugin installs: modules that only Keras's own testing helpers
# (keras/src/testing/test_case.py, loaded from the checkout) or the tests' reference code need, and that
# are not the code under test. Implemented in plugins/upstream_keras_face.py, which checks it implements
# exactly this list.
KERAS_HELPER_STUBS = {
    "keras.src.utils.traceback_utils": "TestCase.setUp turns Keras's traceback filtering off; unidl does not "
                                       "filter tracebacks (is_traceback_filtering_enabled() is False)",
    "keras.src.backend.common.global_state": "TestCase.setUp calls clear_session(free_memory=False): forwarded "
                                             "to keras.utils.clear_session",
    "keras.src.backend.common.backend_utils": "loaded from the checkout, untouched: only the tests' NumPy "
                                              "reference code (conv_transpose_test's np_conv*_transpose) uses it",
    "keras.src.backend.torch": "a package holding the next entry only",
    "keras.src.backend.torch.trainer": "trainer_test.py subclasses the backend's Trainer for its test models "
                                       "(`TorchTrainer` under the torch name): the face's Trainer itself",
}

KERAS = Suite(
    name="keras",
    version="3.15.1",
    # Run from the checkout root: the tests are modules of the package ``keras.src`` (pytest imports
    # ``keras/src/ops/numpy_test.py`` as ``keras.src.ops.numpy_test``), and running from inside
    # keras/src would put its ``random`` folder in front of the standard library's.
    test_dir=".",
    files=tuple("keras/src/" + f for f in KERAS_FILES),
    face_plugin="upstream_keras_face",
    out_of_scope=(),  # eligible = passes on real Keras with the torch backend on CPU, nothing left out
    shims=dict(KERAS_HELPER_STUBS),
    real_env=("python3.11 venv: keras==3.15.1 torch==2.13.0+cpu pytest==9.0.3 absl-py scipy pandas pydot, "
              "KERAS_BACKEND=torch, CPU; `keras` imported from the checkout's own source (its generated "
              "keras/api included: pytest puts the checkout root first on sys.path), the wheel supplying "
              "only the dependencies"),
    real_env_vars={"KERAS_BACKEND": "torch", "CUDA_VISIBLE_DEVICES": ""},
    # trainer_test.py imports the backend's Trainer class by keras.backend.backend() and refuses any name but
    # Keras's own at import: for that file alone the face reports the baseline's backend name ("torch"), the
    # Trainer it then imports being the face's (a listed stand-in). Every other file sees "unidl": their torch
    # branches reach into torch modules (layer.torch_params, keras.src.backend.torch.core) the face does not have
    face_env_by_file={"keras/src/trainers/trainer_test.py": {"UNIDL_KERAS_BACKEND_NAME": "torch"}},
)

SUITES = {s.name: s for s in (MXNET, KERAS)}
