"""``mx.gluon.data.vision``: image datasets (MNIST, FashionMNIST, CIFAR10, CIFAR100, ImageRecordDataset,
ImageFolderDataset) and ``transforms``."""
from . import transforms
from .datasets import CIFAR10, CIFAR100, MNIST, FashionMNIST, ImageFolderDataset, ImageRecordDataset

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "ImageRecordDataset", "ImageFolderDataset", "transforms"]
