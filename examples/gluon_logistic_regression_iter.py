"""Binary logistic regression with Gluon, in the shape of MXNet's tutorial "Logistic regression explained".

Run unmodified with ``unidl run examples/gluon_logistic_regression_iter.py`` (plain ``import mxnet as mx``).
Data: as in the tutorial, generated in the script (``nd.normal`` features, label = "feature sum > 3");
nothing is downloaded. Batches come from ``mx.io.NDArrayIter`` (the tutorial's DataLoader route is
covered by gluon_lenet_training_loop.py), and a local ``mx.kv`` store holds the best validation F1
as a multi-device script would share it. A few seconds on a CPU.
"""
import mxnet as mx
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn

mx.random.seed(12345)
ctx = mx.cpu()
train_size, val_size, batch_size, epochs = 1000, 200, 10, 8


def make_data(size):
    """(features (size, 10) float32, labels (size,) 1.0 where the features sum above 3)."""
    x = nd.normal(0, 1, shape=(size, 10), ctx=ctx)
    y = x.sum(axis=1) > 3
    return x, y


train_x, train_y = make_data(train_size)
val_x, val_y = make_data(val_size)
train_iter = mx.io.NDArrayIter(train_x, train_y, batch_size, shuffle=True)
val_iter = mx.io.NDArrayIter(val_x, val_y, batch_size, last_batch_handle="discard")

net = nn.HybridSequential()
net.add(nn.Dense(10, activation="relu"), nn.Dense(10, activation="relu"), nn.Dense(10, activation="relu"),
        nn.Dense(1))
net.initialize(mx.init.Xavier(), ctx=ctx)
net.hybridize()
loss_fn = gluon.loss.SigmoidBinaryCrossEntropyLoss()
trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
accuracy, f1 = mx.metric.Accuracy(), mx.metric.F1()
kv = mx.kv.create("local")
kv.init("best_f1", nd.zeros(1))


def train_epoch():
    total = 0.0
    train_iter.reset()
    for batch in train_iter:
        data, label = batch.data[0], batch.label[0]
        with autograd.record():
            loss = loss_fn(net(data), label)
        loss.backward()
        trainer.step(batch_size)
        total += nd.sum(loss).asscalar()
    return total / train_size


def validate(threshold=0.5):
    total = 0.0
    accuracy.reset()
    f1.reset()
    val_iter.reset()
    for batch in val_iter:
        data, label = batch.data[0], batch.label[0]
        output = net(data)
        total += nd.sum(loss_fn(output, label)).asscalar()
        prob = output.sigmoid()
        predicted = prob > threshold
        accuracy.update(label, predicted.reshape(-1))
        f1.update(label, nd.concat(1 - prob, prob, dim=1))  # F1 takes (N, 2) class probabilities
    return total / val_size


for epoch in range(epochs):
    train_loss = train_epoch()
    val_loss = validate()
    score = nd.array([f1.get()[1]])
    best = nd.zeros(1)
    kv.pull("best_f1", out=best)
    if score.asscalar() > best.asscalar():
        kv._set_updater(lambda key, new, stored: stored.__setitem__(slice(None), new))
        kv.push("best_f1", score)
    print("Epoch: %d, Training loss: %.2f, Validation loss: %.2f, Validation accuracy: %.2f, F1 score: %.2f"
          % (epoch, train_loss, val_loss, accuracy.get()[1], f1.get()[1]))

best = nd.zeros(1)
kv.pull("best_f1", out=best)
print("Best F1: %.2f" % best.asscalar())
print("Validation accuracy: %.4f" % accuracy.get()[1])
