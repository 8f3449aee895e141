"""Linear regression from scratch with NDArray and autograd, in the shape of MXNet's
"linear regression from scratch" tutorial (The Straight Dope / d2l, MXNet edition).

Run unmodified with ``unidl run examples/gluon_linear_regression_from_scratch.py`` (plain
``import mxnet as mx``). The data is generated in the script, as in the tutorial; fewer examples and
epochs keep it to a few seconds. Batches are cut by index slicing with ``nd.take``, as the tutorial does.
"""
import random

import mxnet as mx
from mxnet import autograd, nd

mx.random.seed(1)
random.seed(1)
data_ctx = mx.cpu()
model_ctx = mx.cpu()

num_inputs = 2
num_examples = 1000
true_w = [2, -3.4]
true_b = 4.2

X = nd.random.normal(shape=(num_examples, num_inputs), ctx=data_ctx)
noise = 0.01 * nd.random.normal(shape=(num_examples,), ctx=data_ctx)
y = true_w[0] * X[:, 0] + true_w[1] * X[:, 1] + true_b + noise
print(X[0], y[0])

batch_size = 10


def data_iter():
    """Yield (data, label) minibatches in a fresh random order."""
    idx = list(range(num_examples))
    random.shuffle(idx)
    for i in range(0, num_examples, batch_size):
        j = nd.array(idx[i:min(i + batch_size, num_examples)])
        yield nd.take(X, j), nd.take(y, j)


w = nd.random.normal(shape=(num_inputs, 1), ctx=model_ctx)
b = nd.random.normal(shape=1, ctx=model_ctx)
params = [w, b]
for param in params:
    param.attach_grad()


def net(X):
    return nd.dot(X, w) + b


def square_loss(yhat, y):
    return nd.mean((yhat - y.reshape(yhat.shape)) ** 2)


def SGD(params, lr):
    for param in params:
        param[:] = param - lr * param.grad


epochs = 3
learning_rate = 0.03
num_batches = num_examples / batch_size

for e in range(epochs):
    cumulative_loss = 0
    for i, (data, label) in enumerate(data_iter()):
        data = data.as_in_context(model_ctx)
        label = label.as_in_context(model_ctx).reshape((-1, 1))
        with autograd.record():
            output = net(data)
            loss = square_loss(output, label)
        loss.backward()
        SGD(params, learning_rate)
        cumulative_loss += loss.asscalar()
    print("Epoch %s, loss: %s" % (e, cumulative_loss / num_batches))

print("learned w:", w.asnumpy().ravel(), "true w:", true_w)
print("learned b:", b.asnumpy().ravel(), "true b:", true_b)
