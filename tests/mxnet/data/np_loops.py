"""D2L-style training loops run by np_make_fixtures.py (real MXNet 1.9.1) and by tests/mxnet/gluon/test_np_mode.py
(unidl_mxnet): the same code, given the ``mx`` module. Data and initial weights come from a seeded host NumPy
generator, so the loops are deterministic; batches are taken in order (no shuffling).
"""
import numpy as onp


def linreg_data():
    rs = onp.random.RandomState(0)
    true_w, true_b = onp.array([2.0, -3.4]), 4.2
    X = rs.normal(0, 1, (200, 2)).astype("float32")
    y = (X @ true_w + true_b + rs.normal(0, 0.01, 200)).astype("float32").reshape(-1, 1)
    w0 = rs.normal(0, 0.01, (1, 2)).astype("float32")
    return X, y, w0


def softmax_data():
    rs = onp.random.RandomState(1)
    X = rs.normal(0, 1, (128, 20)).astype("float32")
    centers = rs.normal(0, 1, (5, 20)).astype("float32")
    y = onp.argmax(X @ centers.T + rs.normal(0, 0.5, (128, 5)), axis=1).astype("float32")
    w0 = rs.normal(0, 0.01, (5, 20)).astype("float32")
    return X, y, w0


def _batches(n, batch_size):
    for i in range(0, n, batch_size):
        yield slice(i, min(i + batch_size, n))


def linreg(mx, use_np):
    """D2L 3.3 (concise linear regression): Dense(1), L2Loss, sgd 0.03, batch 10, 3 epochs.
    Returns (per-epoch mean loss, final weight, final bias) as host arrays."""
    arr = mx.np.array if use_np else mx.nd.array
    X, y, w0 = linreg_data()
    features, labels = arr(X), arr(y)
    net = mx.gluon.nn.Sequential()
    net.add(mx.gluon.nn.Dense(1))
    net.initialize(mx.init.Normal(sigma=0.01))
    net(features[:1])
    net[0].weight.set_data(arr(w0))
    net[0].bias.set_data(arr(onp.zeros(1, "float32")))
    loss = mx.gluon.loss.L2Loss()
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.03})
    losses = []
    for _ in range(3):
        for sl in _batches(200, 10):
            with mx.autograd.record():
                l = loss(net(features[sl]), labels[sl])
            l.backward()
            trainer.step(10)
        losses.append(float(loss(net(features), labels).mean().asnumpy().reshape(())))
    return onp.array(losses), net[0].weight.data().asnumpy(), net[0].bias.data().asnumpy()


def softmax_regression(mx, use_np):
    """D2L 3.7 (concise softmax regression): Dense(5), SoftmaxCrossEntropyLoss, sgd 0.1, batch 32, 3 epochs.
    Returns (per-epoch mean loss, per-epoch accuracy, final weight, final bias)."""
    arr = mx.np.array if use_np else mx.nd.array
    X, y, w0 = softmax_data()
    features, labels = arr(X), arr(y)
    net = mx.gluon.nn.Sequential()
    net.add(mx.gluon.nn.Dense(5))
    net.initialize(mx.init.Normal(sigma=0.01))
    net(features[:1])
    net[0].weight.set_data(arr(w0))
    net[0].bias.set_data(arr(onp.zeros(5, "float32")))
    loss = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    losses, accs = [], []
    for _ in range(3):
        total, correct = 0.0, 0.0
        for sl in _batches(128, 32):
            with mx.autograd.record():
                y_hat = net(features[sl])
                l = loss(y_hat, labels[sl])
            l.backward()
            trainer.step(32)
            total += float(l.sum().asnumpy().reshape(()))
            hit = y_hat.argmax(axis=1).astype(labels.dtype) == labels[sl]
            correct += float(hit.astype("float32").sum().asnumpy().reshape(()))
        losses.append(total / 128)
        accs.append(correct / 128)
    return onp.array(losses), onp.array(accs), net[0].weight.data().asnumpy(), net[0].bias.data().asnumpy()


def mlp_scratch(mx):
    """D2L 4.2 (MLP from scratch) under set_np: np.dot, npx.relu, attach_grad, manual sgd with
    ``param[:] = param - lr * param.grad / batch_size``. Returns (per-epoch loss, final W1)."""
    np, npx = mx.np, mx.npx
    X, y, _ = softmax_data()
    rs = onp.random.RandomState(2)
    W1 = np.array(rs.normal(0, 0.01, (20, 16)).astype("float32"))
    b1 = np.zeros(16)
    W2 = np.array(rs.normal(0, 0.01, (16, 5)).astype("float32"))
    b2 = np.zeros(5)
    params = [W1, b1, W2, b2]
    for p in params:
        p.attach_grad()

    def net(x):
        H = npx.relu(np.dot(x.reshape(-1, 20), W1) + b1)
        return np.dot(H, W2) + b2

    loss = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    features, labels = np.array(X), np.array(y)
    losses = []
    for _ in range(3):
        for sl in _batches(128, 32):
            with mx.autograd.record():
                l = loss(net(features[sl]), labels[sl])
            l.backward()
            for p in params:
                p[:] = p - 0.5 * p.grad / 32
        losses.append(float(loss(net(features), labels).mean()))
    return onp.array(losses), W1.asnumpy()
