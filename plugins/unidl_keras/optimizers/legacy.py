"""``keras.optimizers.legacy``: the Keras 2 names, aliasing the same optimizer classes."""
from .adagrad import Adagrad
from .adam import Adam
from .base_optimizer import Optimizer
from .ftrl import Ftrl
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "RMSprop", "Adagrad", "Ftrl"]
