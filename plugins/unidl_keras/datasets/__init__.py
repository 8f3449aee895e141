"""``keras.datasets``: the small standard datasets, read from Keras's local cache only.

Files are looked up in ``$KERAS_HOME/datasets`` (``~/.keras/datasets`` when KERAS_HOME is unset),
where Keras itself caches them. Nothing is downloaded: a missing file raises
:class:`~unidl_keras.utils.file_utils.FileNotAvailableOfflineError` naming the URL and the path to
place it at.
"""
from . import boston_housing, cifar10, cifar100, fashion_mnist, imdb, mnist, reuters

__all__ = ["mnist", "fashion_mnist", "cifar10", "cifar100", "imdb", "reuters", "boston_housing"]
