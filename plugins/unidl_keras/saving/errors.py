"""The one error class of the Keras face's file loaders."""
from __future__ import annotations


class LoadError(ValueError):
    """A model or weights file cannot be loaded: damaged, not a Keras file, unsafe, or not fitting the model.

    A ValueError, as Keras raises for bad files. Its message names the file and what is wrong.
    """
