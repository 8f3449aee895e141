"""``mx.optimizer``: MXNet 1.9's optimizers on the unidl core.

The base class, registry, ``create`` and ``Updater`` are in :mod:`.optimizer`; the rules are in :mod:`.sgd`
(SGD, NAG, Signum), :mod:`.adaptive` (AdaGrad, RMSProp, AdaDelta), :mod:`.adam` (Adam, Adamax, Nadam, LAMB),
:mod:`.ftrl`, :mod:`.extra` (FTML, SGLD, DCASGD, LARS, LBSGD) and :mod:`.contrib` (GroupAdaGrad); their
arithmetic is :mod:`unidl.nn.optim` in its MXNet form. Trainer state files are :mod:`.states_file`.
"""
from . import contrib, optimizer
from .adam import LAMB, Adam, Adamax, Nadam
from .adaptive import AdaDelta, AdaGrad, RMSProp
from .extra import DCASGD, FTML, LARS, LBSGD, SGLD
from .ftrl import Ftrl
from .optimizer import Optimizer, OptimizerNotFoundError, Test, Updater, create, get_updater, register
from .sgd import NAG, SGD, Signum, ccSGD

__all__ = ["Optimizer", "SGD", "ccSGD", "NAG", "Signum", "Adam", "Adamax", "Nadam", "LAMB", "AdaGrad", "RMSProp",
           "AdaDelta", "Ftrl", "FTML", "SGLD", "DCASGD", "LARS", "LBSGD", "Test", "Updater", "create",
           "get_updater", "register", "contrib"]
