"""``mx.gluon.data``: datasets, samplers, the DataLoader and ``vision`` (MNIST, CIFAR10, image files,
transforms)."""
from . import vision
from .dataloader import DataLoader
from .dataset import ArrayDataset, Dataset, RecordFileDataset, SimpleDataset
from .sampler import BatchSampler, FilterSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["Dataset", "SimpleDataset", "ArrayDataset", "RecordFileDataset", "Sampler", "SequentialSampler", "RandomSampler",
           "FilterSampler", "BatchSampler", "DataLoader", "vision"]
