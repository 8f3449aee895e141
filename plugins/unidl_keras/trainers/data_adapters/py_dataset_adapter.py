"""``keras.src.trainers.data_adapters.py_dataset_adapter``: ``PyDataset`` (the face's
:class:`unidl_keras.utils.PyDataset`) under the module path Keras defines it in."""
from ...utils.py_dataset import PyDataset

__all__ = ["PyDataset"]
