"""Regenerate the real-MXNet fixtures of the extra gluon.nn layers, gluon.loss losses and Block.summary
(tests/mxnet/gluon/test_conv_transpose.py, test_activations.py, test_norm_extra.py, test_lambda.py,
test_loss_extra.py, test_summary.py). Run with MXNet 1.9.1 in its own venv:

    python3 -m venv /tmp/mxvenv && /tmp/mxvenv/bin/pip install numpy==1.23.5 mxnet==1.9.1
    /tmp/mxvenv/bin/python tests/mxnet/data/layers_make_fixtures.py

Writes beside this file:
  layers_mxnet191.npz (no pickles) with, per layer case NAME: NAME__x (input), NAME__p__<structural param
  name> (the parameter values used; drawn from Uniform(0.5) or set below), NAME__out, NAME__head (output
  gradient) and NAME__gx / NAME__g__<param> (gradients of sum(out * head)); per loss case NAME:
  NAME__in<i> (the inputs in call order), NAME__out and NAME__g0 (gradient of sum(out) w.r.t. input 0).
  layers_summary_mxnet191.txt: the text printed by Block.summary for the models of summary_models.py,
  each preceded by a line "== NAME".
"""
import contextlib
import io
import os

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn
from mxnet.gluon.contrib import nn as cnn

import summary_models

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.RandomState(0)
mx.random.seed(0)
arrays = {}


def u(*shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, shape).astype("float32")


def layer(name, net, x, setp=None):
    """Run ``net`` on x; store input, params (by structural name), output and gradients."""
    net.initialize(mx.init.Uniform(0.5))
    x = nd.array(x)
    net(x)  # finish deferred initialization
    for k, v in (setp or {}).items():
        net._collect_params_with_prefix()[k].set_data(nd.array(v))
    params = net._collect_params_with_prefix()
    x.attach_grad()
    with autograd.record():
        out = net(x)
        head = nd.array(u(*out.shape))
        loss = (out * head).sum()
    loss.backward()
    arrays[f"{name}__x"] = x.asnumpy()
    arrays[f"{name}__out"] = out.asnumpy()
    arrays[f"{name}__head"] = head.asnumpy()
    arrays[f"{name}__gx"] = x.grad.asnumpy()
    for k, p in params.items():
        arrays[f"{name}__p__{k}"] = p.data().asnumpy()
        if p.grad_req != "null":
            arrays[f"{name}__g__{k}"] = p.grad().asnumpy()


def loss_case(name, loss, *inputs, grad=True):
    """Call ``loss(*inputs)`` (MXNet 1.x blocks take positional inputs only: pred, label[, sample_weight]);
    store the inputs, the output and d sum(out) / d inputs[0]."""
    xs = [nd.array(a) for a in inputs]
    for i, a in enumerate(inputs):
        arrays[f"{name}__in{i}"] = np.asarray(a, dtype="float32")
    if not grad:  # e.g. PoissonNLLLoss(compute_full=True) writes in place, which MXNet refuses under record
        arrays[f"{name}__out"] = loss(*xs).asnumpy()
        return
    xs[0].attach_grad()
    with autograd.record():
        out = loss(*xs)
    out.backward()
    arrays[f"{name}__out"] = out.asnumpy()
    arrays[f"{name}__g0"] = xs[0].grad.asnumpy()


# -- layers --------------------------------------------------------------------------------------------------
layer("conv1dT", nn.Conv1DTranspose(4, 3, strides=2, padding=1, output_padding=1, in_channels=3), u(2, 3, 5))
layer("conv2dT", nn.Conv2DTranspose(6, (3, 2), strides=(2, 1), padding=(1, 0), output_padding=(1, 0),
                                    dilation=(1, 2), groups=2, in_channels=4, activation="tanh"), u(2, 4, 5, 4))
layer("conv2dT_deferred", nn.Conv2DTranspose(5, 3, use_bias=False), u(1, 3, 4, 4))
layer("conv3dT", nn.Conv3DTranspose(2, 2, strides=2, padding=(0, 1, 0), in_channels=3), u(1, 3, 3, 3, 3))
layer("reflpad", nn.ReflectionPad2D(2), u(2, 3, 5, 6))
layer("reflpad8", nn.ReflectionPad2D((0, 0, 0, 0, 1, 2, 3, 0)), u(1, 2, 4, 5))
# ceil_mode (MXNet's "full" convention) with windows that all overlap the input or the low/high padding; a
# window lying wholly past the padding is filled with -3.4e38 / NaN by MXNet (unidl refuses those inputs)
layer("maxpool3d", nn.MaxPool3D(3, strides=2, padding=1, ceil_mode=True), u(2, 2, 6, 5, 6))
layer("avgpool3d", nn.AvgPool3D((2, 3, 2), strides=(1, 2, 2), padding=(1, 1, 0)), u(2, 2, 4, 5, 5))
layer("avgpool3d_nopad", nn.AvgPool3D(3, strides=2, padding=1, ceil_mode=True, count_include_pad=False),
      u(1, 2, 6, 5, 4))
layer("avgpool3d_ceil", nn.AvgPool3D(3, 2, 1, True), u(1, 1, 6, 6, 5))
layer("gmaxpool3d", nn.GlobalMaxPool3D(), u(2, 3, 2, 3, 4))
layer("gavgpool3d", nn.GlobalAvgPool3D(), u(2, 3, 2, 3, 4))
layer("instnorm", nn.InstanceNorm(scale=True), u(2, 3, 4, 5),
      {"gamma": u(3, lo=0.5, hi=2.0), "beta": u(3)})
layer("instnorm_default", nn.InstanceNorm(), u(2, 3, 6))
layer("instnorm_axis", nn.InstanceNorm(axis=2, scale=True, epsilon=1e-3), u(2, 3, 4, 2),
      {"gamma": u(4, lo=0.5, hi=2.0), "beta": u(4)})
layer("groupnorm", nn.GroupNorm(2), u(2, 4, 3, 3), {"gamma": u(2, lo=0.5, hi=2.0), "beta": u(2)})
layer("groupnorm1", nn.GroupNorm(epsilon=1e-3), u(3, 6, 5))
layer("leakyrelu", nn.LeakyReLU(0.1), u(3, 4) * 3)
layer("prelu", nn.PReLU(), u(3, 4) * 3)
layer("prelu_c", nn.PReLU(in_channels=3), u(2, 3, 4) * 3, {"alpha": u(3)})
layer("elu", nn.ELU(0.7), u(3, 4) * 3)
layer("selu", nn.SELU(), u(3, 4) * 3)
layer("gelu", nn.GELU(), u(3, 4) * 3)
layer("swish", nn.Swish(1.5), u(3, 4) * 3)
layer("lambda", nn.Lambda("tanh"), u(3, 4))
layer("hlambda", nn.HybridLambda(lambda F, x: F.LeakyReLU(x, slope=0.1)), u(3, 4))
conc = cnn.HybridConcurrent(axis=1)
with conc.name_scope():
    conc.add(nn.Dense(3), nn.Dense(2, activation="relu"), cnn.Identity())
layer("hconcurrent", conc, u(2, 4))

# -- losses --------------------------------------------------------------------------------------------------
sign = np.where(rng.uniform(size=(4, 3)) > 0.5, 1.0, -1.0).astype("float32")
loss_case("huber", gluon.loss.HuberLoss(rho=0.5, weight=2.0), u(4, 3) * 2, u(4, 3) * 2, u(4, 1))
loss_case("huber_default", gluon.loss.HuberLoss(), u(4, 3) * 2, u(4, 3) * 2)
loss_case("huber_axis1", gluon.loss.HuberLoss(batch_axis=1), u(3, 4, 2) * 2, u(3, 4, 2) * 2)
loss_case("hinge", gluon.loss.HingeLoss(margin=1.5), u(4, 3) * 2, sign)
loss_case("sqhinge", gluon.loss.SquaredHingeLoss(), u(4, 3) * 2, sign, u(4, 1))
loss_case("logistic_signed", gluon.loss.LogisticLoss(), u(4, 3) * 3, sign)
loss_case("logistic_binary", gluon.loss.LogisticLoss(label_format="binary", weight=0.5), u(4, 3) * 3,
          (sign + 1) / 2)
loss_case("triplet", gluon.loss.TripletLoss(margin=0.7), u(4, 5), u(4, 5), u(4, 5))
lp = np.log(np.exp(u(4, 5) * 2) / np.exp(u(4, 5) * 2).sum(-1, keepdims=True)).astype("float32")
lab = np.exp(u(4, 5)); lab = (lab / lab.sum(-1, keepdims=True)).astype("float32")
loss_case("kldiv", gluon.loss.KLDivLoss(), lp, lab)
loss_case("kldiv_logits", gluon.loss.KLDivLoss(from_logits=False, axis=1), u(4, 5, 2) * 2,
          np.transpose(np.stack([lab, lab[::-1]], -1), (0, 1, 2)), u(4, 1, 1))
loss_case("poisson", gluon.loss.PoissonNLLLoss(), u(4, 3), rng.poisson(2.0, (4, 3)).astype("float32"))
loss_case("poisson_prob", gluon.loss.PoissonNLLLoss(from_logits=False, compute_full=True),
          u(4, 3, lo=0.1, hi=3.0), 1 + rng.poisson(2.0, (4, 3)).astype("float32"), u(4, 1), grad=False)
loss_case("cosine", gluon.loss.CosineEmbeddingLoss(margin=0.2), u(4, 5), u(4, 5),
          np.array([1, -1, 1, -1], dtype="float32"))
loss_case("sdml", gluon.loss.SDMLLoss(), u(4, 5), u(4, 5))

np.savez(os.path.join(here, "layers_mxnet191.npz"), **arrays)


# -- summaries (models in summary_models.py) ---------------------------------------------------------------
text = io.StringIO()
for name, make in summary_models.models(mx).items():
    net, inputs = make()
    net.initialize()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        net.summary(*inputs)
    text.write(f"== {name}\n{buf.getvalue()}")
with open(os.path.join(here, "layers_summary_mxnet191.txt"), "w") as f:
    f.write(text.getvalue())
print(f"wrote {len(arrays)} arrays and {text.getvalue().count('== ')} summaries")
