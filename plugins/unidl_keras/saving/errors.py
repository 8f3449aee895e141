"""The one error class of the Keras face's file loaders."""
from __future__ import annotations


class LoadError(ValueError):
    """A model or weights file cannot be loaded: damaged, not a Keras file, unsafe, or not fitting the model.

    A ValueError, as Keras raises for bad files. Its message names the file and what is wrong.
    """


#: what rebuilding or compiling a model from a file's config can raise when the config is damaged or hostile;
#: the loaders turn these into a LoadError naming the file
CONFIG_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError, ArithmeticError,
                 MemoryError)
