"""LeNet trained with an explicit Gluon loop, in the shape of MXNet's crash-course "Train the neural network".

Run unmodified with ``unidl run examples/gluon_lenet_training_loop.py`` (plain ``import mxnet as mx``).
Offline note: the tutorial reads FashionMNIST through ``gluon.data.vision``, which needs a download;
this version makes a small synthetic stand-in in the script (one noisy blocky 28x28 pattern per class,
NCHW float32 in [0, 1]) and feeds it through ``gluon.data.ArrayDataset`` + ``gluon.data.DataLoader``.
A slice of data and a few epochs keep it to a few seconds on a CPU.
"""
import time

import numpy as np

import mxnet as mx
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import nn

num_classes, train_size, valid_size = 10, 1024, 256
batch_size = 64
mx.random.seed(42)


def synthetic_images(n, seed):
    """(images float32 (n, 1, 28, 28) in [0, 1], labels float32 (n,))."""
    coarse = np.random.default_rng(0).random((num_classes, 7, 7)) > 0.6
    templates = np.kron(coarse, np.ones((4, 4), bool))
    rng = np.random.default_rng(seed)
    y = rng.integers(0, num_classes, n)
    noise = rng.random((n, 28, 28)) > 0.7
    x = (templates[y] ^ noise).astype("float32")[:, None]
    return nd.array(x), nd.array(y.astype("float32"))


X_train, y_train = synthetic_images(train_size, 1)
X_valid, y_valid = synthetic_images(valid_size, 2)
train_data = gluon.data.DataLoader(gluon.data.ArrayDataset(X_train, y_train), batch_size=batch_size, shuffle=True)
valid_data = gluon.data.DataLoader(gluon.data.ArrayDataset(X_valid, y_valid), batch_size=batch_size)

net = nn.Sequential()
net.add(nn.Conv2D(channels=6, kernel_size=5, activation="relu"),
        nn.MaxPool2D(pool_size=2, strides=2),
        nn.Conv2D(channels=16, kernel_size=3, activation="relu"),
        nn.MaxPool2D(pool_size=2, strides=2),
        nn.Flatten(),
        nn.Dense(120, activation="relu"),
        nn.Dense(84, activation="relu"),
        nn.Dense(num_classes))
net.initialize(init=init.Xavier())

softmax_cross_entropy = gluon.loss.SoftmaxCrossEntropyLoss()
trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})


def acc(output, label):
    """Fraction of rows whose arg-max equals the label."""
    return (output.argmax(axis=1) == label.astype("float32")).mean().asscalar()


for epoch in range(3):
    train_loss, train_acc, valid_acc = 0.0, 0.0, 0.0
    tic = time.time()
    n_train = n_valid = 0
    for data, label in train_data:
        with autograd.record():
            output = net(data)
            loss = softmax_cross_entropy(output, label)
        loss.backward()
        trainer.step(data.shape[0])
        train_loss += loss.mean().asscalar()
        train_acc += acc(output, label)
        n_train += 1
    for data, label in valid_data:
        valid_acc += acc(net(data), label)
        n_valid += 1
    print("Epoch %d: loss %.3f, train acc %.3f, test acc %.3f, in %.1f sec" % (
        epoch, train_loss / n_train, train_acc / n_train, valid_acc / n_valid, time.time() - tic))
