"""The ``mx.nd`` operator cases shared by ndops_make_fixtures.py (run under real MXNet 1.9.1) and the
tests (run on unidl_mxnet). Plain Python: no MXNet and no unidl import here.

A case: ``name``, ``family`` (which test file runs it), ``op`` (an ``mx.nd`` attribute path), ``inputs``
(specs, see :func:`make_input`; a one-item dict ``{keyword: spec}`` is passed by keyword; a Python
number is passed as it is), ``kwargs``, ``grad``
(input positions whose gradients are compared), ``aux`` (input positions mutated by the op, compared
after the call), ``train`` (autograd train_mode; default True) and ``record`` (run under autograd.record
even without ``grad``).
"""
import numpy as np


def make_input(spec, rng):
    """An input array from a spec: ``(kind, shape)`` or ``(kind, shape, dtype)``, or a literal list.

    kinds: n normal, t ties (integers -2..2), p positive (0.5..3), u in (-0.9, 0.9), g in (1.1, 4),
    ``iK`` integers in [0, K) (class labels / indices).
    """
    if isinstance(spec, list):
        return np.array(spec, dtype=np.float32)
    kind, shape = spec[0], tuple(spec[1])
    dtype = spec[2] if len(spec) > 2 else "float32"
    if kind == "n":
        a = rng.standard_normal(shape)
    elif kind == "t":
        a = rng.randint(-2, 3, size=shape)
    elif kind == "p":
        a = rng.uniform(0.5, 3.0, size=shape)
    elif kind == "u":
        a = rng.uniform(-0.9, 0.9, size=shape)
    elif kind == "g":
        a = rng.uniform(1.1, 4.0, size=shape)
    elif kind.startswith("i"):
        a = rng.randint(0, int(kind[1:]), size=shape)
    else:
        raise ValueError(f"unknown input kind {kind!r}")
    return np.asarray(a).astype(dtype)


def _c(name, family, op, inputs, grad=(), **kw):
    d = dict(name=name, family=family, op=op, inputs=list(inputs), kwargs=kw.pop("kwargs", {}), grad=list(grad),
             aux=list(kw.pop("aux", [])), train=kw.pop("train", True), record=kw.pop("record", False))
    assert not kw, kw
    return d


CASES = []
S = CASES.append

# -- sort / topk -------------------------------------------------------------------------------------------
for ret in ("indices", "value", "both", "mask"):
    S(_c(f"topk_{ret}", "sort", "topk", [("t", (3, 6))], grad=[0] if ret in ("value", "both") else [],
         kwargs=dict(k=3, ret_typ=ret)))
S(_c("topk_axis0_asc", "sort", "topk", [("t", (5, 2, 3))], grad=[0], kwargs=dict(axis=0, k=2, ret_typ="value",
                                                                                      is_ascend=True)))
S(_c("topk_axis_none", "sort", "topk", [("n", (3, 4))], kwargs=dict(axis=None, k=4)))
S(_c("topk_neg_axis_int32", "sort", "topk", [("t", (2, 4, 3))], kwargs=dict(axis=-2, k=1, dtype="int32")))
S(_c("topk_size1", "sort", "topk", [("n", (4, 1))], grad=[0], kwargs=dict(k=1, ret_typ="value")))
S(_c("sort_default", "sort", "sort", [("t", (3, 7))], grad=[0], kwargs=dict(axis=-1)))
S(_c("sort_desc_axis0", "sort", "sort", [("t", (5, 3))], grad=[0], kwargs=dict(axis=0, is_ascend=False)))
S(_c("sort_axis_none", "sort", "sort", [("n", (2, 3))], kwargs=dict(axis=None)))
S(_c("argsort_default", "sort", "argsort", [("t", (3, 7))]))
S(_c("argsort_desc_neg", "sort", "argsort", [("t", (4, 3, 2))], kwargs=dict(axis=-3, is_ascend=False)))
S(_c("argsort_int32", "sort", "argsort", [("t", (6,))], kwargs=dict(dtype="int32")))
S(_c("argmax_channel", "sort", "argmax_channel", [("t", (3, 5))]))

# -- math -----------------------------------------------------------------------------------------------------
for op, kind in (("arcsin", "u"), ("arccos", "u"), ("arctan", "n"), ("sinh", "n"), ("cosh", "n"),
                 ("arcsinh", "n"), ("arccosh", "g"), ("arctanh", "u"), ("degrees", "n"), ("radians", "n"),
                 ("cbrt", "p"), ("rcbrt", "p"), ("rsqrt", "p"), ("log2", "p"), ("log10", "p"),
                 ("softsign", "n"), ("sigmoid", "n"), ("reciprocal", "p"), ("erf", "n"), ("expm1", "n"),
                 ("log1p", "p"), ("square", "n"), ("tan", "u"), ("relu", "n")):
    S(_c(op, "math", op, [(kind, (3, 4))], grad=[0]))
S(_c("round_rint_fix", "math", "round", [[0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997, 1.3, -1.7]]))
S(_c("rint", "math", "rint", [[0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997, 1.3, -1.7]]))
S(_c("fix", "math", "fix", [[0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997, 1.3, -1.7]]))
S(_c("hard_sigmoid", "math", "hard_sigmoid", [("n", (3, 5))], grad=[0], kwargs=dict(alpha=0.3, beta=0.4)))
S(_c("smooth_l1", "math", "smooth_l1", [("n", (3, 5))], grad=[0], kwargs=dict(scalar=1.5)))
S(_c("cumsum_none", "math", "cumsum", [("n", (2, 3))], grad=[0]))
S(_c("cumsum_axis", "math", "cumsum", [("n", (2, 3, 2))], grad=[0], kwargs=dict(axis=1)))
S(_c("cumsum_neg_axis_refused", "math", "cumsum", [("n", (2, 3, 2))], kwargs=dict(axis=-2)))
S(_c("diag_2d", "math", "diag", [("n", (3, 4))], grad=[0], kwargs=dict(k=1)))
S(_c("diag_2d_neg", "math", "diag", [("n", (4, 3))], grad=[0], kwargs=dict(k=-1)))
S(_c("diag_1d", "math", "diag", [("n", (3,))], grad=[0], kwargs=dict(k=-1)))
S(_c("diag_3d", "math", "diag", [("n", (2, 3, 4))], grad=[0], kwargs=dict(axis1=1, axis2=2)))
S(_c("moments", "math", "moments", [("n", (3, 4, 2))], grad=[0], kwargs=dict(axes=(0, 2))))
S(_c("moments_keep", "math", "moments", [("n", (3, 4))], grad=[0], kwargs=dict(axes=(1,), keepdims=True)))
S(_c("reshape_like", "math", "reshape_like", [("n", (2, 6)), ("n", (3, 4))], grad=[0]))
S(_c("reshape_like_partial", "math", "reshape_like", [("n", (2, 6, 5)), ("n", (3, 4, 7))], grad=[0],
     kwargs=dict(lhs_begin=0, lhs_end=2, rhs_begin=0, rhs_end=2)))
S(_c("gather_nd", "math", "gather_nd", [("n", (3, 4, 2)), [[0, 2, 1], [3, 0, 3]]], grad=[0]))
S(_c("gather_nd_dup", "math", "gather_nd", [("n", (3, 4)), [[1, 1, 0]]], grad=[0]))
S(_c("scatter_nd", "math", "scatter_nd", [("n", (3,)), [[0, 2, 1], [3, 0, 3]]], grad=[0],
     kwargs=dict(shape=(3, 4))))
S(_c("L2Normalization_instance", "math", "L2Normalization", [("n", (2, 3, 4))], grad=[0]))
S(_c("L2Normalization_channel", "math", "L2Normalization", [("n", (2, 3, 4))], grad=[0],
     kwargs=dict(mode="channel")))
S(_c("L2Normalization_spatial", "math", "L2Normalization", [("n", (2, 3, 2, 2))], grad=[0],
     kwargs=dict(mode="spatial", eps=1e-3)))
S(_c("broadcast_power", "math", "broadcast_power", [("p", (2, 3)), ("n", (1, 3))], grad=[0, 1]))
S(_c("broadcast_maximum", "math", "broadcast_maximum", [("n", (2, 1)), ("n", (1, 3))], grad=[0, 1]))
S(_c("broadcast_hypot", "math", "broadcast_hypot", [("n", (2, 1)), ("n", (1, 3))], grad=[0, 1]))
S(_c("broadcast_logical_and", "math", "broadcast_logical_and", [("t", (2, 1)), ("t", (1, 3))]))
S(_c("broadcast_logical_xor", "math", "broadcast_logical_xor", [("t", (2, 3)), ("t", (1, 3))]))
S(_c("elemwise_div", "math", "elemwise_div", [("n", (2, 3)), ("p", (2, 3))], grad=[0, 1]))
S(_c("maximum_scalar", "math", "maximum", [("n", (2, 3)), 0.25], grad=[0]))
S(_c("make_loss", "math", "make_loss", [("n", (2, 3))], grad=[0]))
S(_c("stop_gradient", "math", "stop_gradient", [("n", (2, 3))], grad=[0]))
S(_c("identity", "math", "identity", [("n", (2, 3))], grad=[0]))
S(_c("Cast", "math", "Cast", [("n", (2, 3))], kwargs=dict(dtype="int32")))
S(_c("shape_array", "math", "shape_array", [("n", (2, 3, 1))]))
S(_c("size_array", "math", "size_array", [("n", (2, 3, 1))]))
S(_c("sum_axis_exclude", "math", "sum", [("n", (2, 3, 4))], grad=[0], kwargs=dict(axis=1, exclude=True)))
S(_c("nansum", "math", "nansum", [[1.0, float("nan"), 2.0]]))

# -- nn --------------------------------------------------------------------------------------------------------
S(_c("conv2d", "nn", "Convolution", [("n", (2, 3, 5, 6)), ("n", (4, 3, 3, 2)), ("n", (4,))], grad=[0, 1, 2],
     kwargs=dict(kernel=(3, 2), num_filter=4, stride=(2, 1), pad=(1, 0), dilate=(1, 2))))
S(_c("conv1d_groups_nobias", "nn", "Convolution", [("n", (2, 4, 7)), ("n", (6, 2, 3))], grad=[0, 1],
     kwargs=dict(kernel=(3,), num_filter=6, num_group=2, no_bias=True)))
S(_c("deconv2d", "nn", "Deconvolution", [("n", (2, 3, 4, 3)), ("n", (3, 2, 3, 3)), ("n", (2,))], grad=[0, 1, 2],
     kwargs=dict(kernel=(3, 3), num_filter=2, stride=(2, 2), pad=(1, 1), adj=(1, 0), no_bias=False)))
S(_c("deconv1d_nobias_groups", "nn", "Deconvolution", [("n", (1, 4, 5)), ("n", (4, 3, 2))], grad=[0, 1],
     kwargs=dict(kernel=(2,), num_filter=6, num_group=2, no_bias=True)))
S(_c("deconv_target_shape", "nn", "Deconvolution", [("n", (1, 2, 3, 3)), ("n", (2, 2, 3, 3))], grad=[0, 1],
     kwargs=dict(kernel=(3, 3), num_filter=2, stride=(2, 2), target_shape=(6, 6), no_bias=True)))
for pt in ("max", "avg", "sum"):
    for conv in ("valid", "full"):
        S(_c(f"pool_{pt}_{conv}", "nn", "Pooling", [("n", (2, 2, 5, 6))], grad=[0],
             kwargs=dict(kernel=(3, 2), stride=(2, 2), pad=(1, 0), pool_type=pt, pooling_convention=conv)))
S(_c("pool_avg_exclude_pad", "nn", "Pooling", [("n", (1, 2, 5, 5))], grad=[0],
     kwargs=dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="avg", count_include_pad=False)))
S(_c("pool_lp2", "nn", "Pooling", [("n", (1, 2, 4, 4))], grad=[0],
     kwargs=dict(kernel=(2, 2), stride=(2, 2), pool_type="lp", p_value=2)))
S(_c("pool_lp1", "nn", "Pooling", [("p", (1, 2, 4, 4))], grad=[0],
     kwargs=dict(kernel=(2, 2), stride=(1, 1), pool_type="lp", p_value=1)))
S(_c("pool_global_avg", "nn", "Pooling", [("n", (2, 3, 4, 5))], grad=[0],
     kwargs=dict(kernel=(1, 1), global_pool=True, pool_type="avg")))
S(_c("pool_global_max_1d", "nn", "Pooling", [("n", (2, 3, 5))], grad=[0],
     kwargs=dict(global_pool=True, pool_type="max")))
S(_c("pool_max_1d", "nn", "Pooling", [("n", (2, 3, 7))], grad=[0], kwargs=dict(kernel=(3,), stride=(2,))))
S(_c("pool_avg_3d", "nn", "Pooling", [("n", (1, 2, 4, 4, 3))], grad=[0],
     kwargs=dict(kernel=(2, 2, 2), pool_type="avg")))
_BN_IN = [("n", (4, 3, 2, 2)), ("p", (3,)), ("n", (3,)), ("n", (3,)), ("p", (3,))]
S(_c("bn_train_fixgamma", "nn", "BatchNorm", _BN_IN, grad=[0, 1, 2], aux=[3, 4]))
S(_c("bn_train_gamma", "nn", "BatchNorm", _BN_IN, grad=[0, 1, 2], aux=[3, 4],
     kwargs=dict(fix_gamma=False, momentum=0.8, eps=1e-3)))
S(_c("bn_train_outmeanvar", "nn", "BatchNorm", _BN_IN, grad=[0, 1, 2], aux=[3, 4],
     kwargs=dict(fix_gamma=False, output_mean_var=True)))
S(_c("bn_global_stats", "nn", "BatchNorm", _BN_IN, grad=[0, 1, 2], aux=[3, 4],
     kwargs=dict(fix_gamma=False, use_global_stats=True)))
S(_c("bn_inference", "nn", "BatchNorm", _BN_IN, aux=[3, 4], kwargs=dict(fix_gamma=False)))
S(_c("bn_predict_mode", "nn", "BatchNorm", _BN_IN, grad=[0], aux=[3, 4], train=False,
     kwargs=dict(fix_gamma=False)))
S(_c("bn_last_axis", "nn", "BatchNorm", [("n", (4, 5, 3)), ("p", (3,)), ("n", (3,)), ("n", (3,)), ("p", (3,))],
     grad=[0, 1, 2], aux=[3, 4], kwargs=dict(axis=-1, fix_gamma=False)))
S(_c("layernorm", "nn", "LayerNorm", [("n", (2, 3, 4)), ("p", (4,)), ("n", (4,))], grad=[0, 1, 2]))
S(_c("layernorm_axis1", "nn", "LayerNorm", [("n", (2, 3, 4)), ("p", (3,)), ("n", (3,))], grad=[0, 1, 2],
     kwargs=dict(axis=1, eps=1e-3)))
S(_c("instancenorm", "nn", "InstanceNorm", [("n", (2, 3, 4, 2)), ("p", (3,)), ("n", (3,))], grad=[0, 1, 2]))
S(_c("embedding", "nn", "Embedding", [("i5", (2, 3)), ("n", (5, 4))], grad=[1],
     kwargs=dict(input_dim=5, output_dim=4)))
S(_c("embedding_dup", "nn", "Embedding", [[[1, 1, 4, 1]], ("n", (5, 2))], grad=[1],
     kwargs=dict(input_dim=5, output_dim=2)))
S(_c("seqmask", "nn", "SequenceMask", [("n", (4, 3, 2)), {"sequence_length": [2, 4, 1]}], grad=[0],
     kwargs=dict(use_sequence_length=True, value=-1.5)))
S(_c("seqmask_axis1", "nn", "SequenceMask", [("n", (3, 4, 2)), {"sequence_length": [2, 4, 1]}], grad=[0],
     kwargs=dict(use_sequence_length=True, axis=1)))
S(_c("seqmask_off", "nn", "SequenceMask", [("n", (4, 3))], grad=[0]))
S(_c("seqlast", "nn", "SequenceLast", [("n", (4, 3, 2)), {"sequence_length": [2, 4, 1]}], grad=[0],
     kwargs=dict(use_sequence_length=True)))
S(_c("seqlast_axis1", "nn", "SequenceLast", [("n", (3, 4, 2)), {"sequence_length": [2, 4, 1]}], grad=[0],
     kwargs=dict(use_sequence_length=True, axis=1)))
S(_c("seqreverse", "nn", "SequenceReverse", [("n", (4, 3, 2)), {"sequence_length": [2, 4, 1]}], grad=[0],
     kwargs=dict(use_sequence_length=True)))
S(_c("seqreverse_off", "nn", "SequenceReverse", [("n", (4, 3))], grad=[0]))
S(_c("softmaxoutput", "nn", "SoftmaxOutput", [("n", (4, 5)), ("i5", (4,))], grad=[0]))
S(_c("softmaxoutput_batch_scale", "nn", "SoftmaxOutput", [("n", (4, 5)), ("i5", (4,))], grad=[0],
     kwargs=dict(grad_scale=2.0, normalization="batch")))
S(_c("softmaxoutput_ignore_valid", "nn", "SoftmaxOutput", [("n", (6, 3)), [0, 1, 2, 1, 1, 0]], grad=[0],
     kwargs=dict(use_ignore=True, ignore_label=1, normalization="valid")))
S(_c("softmaxoutput_multi", "nn", "SoftmaxOutput", [("n", (2, 3, 4)), ("i3", (2, 4))], grad=[0],
     kwargs=dict(multi_output=True, normalization="batch")))
S(_c("softmaxoutput_multi_valid", "nn", "SoftmaxOutput", [("n", (2, 3, 4)), [[0, 1, 2, 1], [1, 1, 0, 1]]],
     grad=[0], kwargs=dict(multi_output=True, normalization="valid", use_ignore=True, ignore_label=1)))
S(_c("softmaxoutput_3d", "nn", "SoftmaxOutput", [("n", (2, 3, 4)), ("i4", (2, 3))], grad=[0]))
S(_c("softmaxoutput_preserve", "nn", "SoftmaxOutput", [("n", (2, 3, 4)), ("i4", (2, 3))], grad=[0],
     kwargs=dict(preserve_shape=True)))
S(_c("softmaxoutput_smooth", "nn", "SoftmaxOutput", [("n", (3, 4)), ("i4", (3,))], grad=[0],
     kwargs=dict(smooth_alpha=0.1)))
S(_c("linregout", "nn", "LinearRegressionOutput", [("n", (3, 2)), ("n", (3, 2))], grad=[0],
     kwargs=dict(grad_scale=0.5)))
S(_c("logregout", "nn", "LogisticRegressionOutput", [("n", (3, 2)), ("i2", (3, 2))], grad=[0]))
S(_c("maeregout", "nn", "MAERegressionOutput", [("n", (3, 2)), ("n", (3, 2))], grad=[0]))
S(_c("softmax_cross_entropy", "nn", "softmax_cross_entropy", [("n", (4, 5)), ("i5", (4,))], grad=[0]))
S(_c("upsampling_nearest", "nn", "UpSampling", [("n", (2, 3, 2, 3))], grad=[0],
     kwargs=dict(scale=2, sample_type="nearest")))
S(_c("dropout_predict_identity", "nn", "Dropout", [("n", (3, 4))], grad=[0], train=False,
     kwargs=dict(p=0.5)))
S(_c("leakyrelu_prelu", "nn", "LeakyReLU", [("n", (2, 3, 2)), ("p", (3,))], grad=[0, 1],
     kwargs=dict(act_type="prelu")))
S(_c("activation_softsign", "nn", "Activation", [("n", (2, 3))], grad=[0], kwargs=dict(act_type="softsign")))
S(_c("softmin", "nn", "softmin", [("n", (2, 3))], grad=[0]))
S(_c("softmax_temperature", "nn", "softmax", [("n", (2, 3))], grad=[0], kwargs=dict(axis=0, temperature=2.0)))
