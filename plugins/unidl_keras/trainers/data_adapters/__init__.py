"""``keras.src.trainers.data_adapters``: where Keras keeps its input-pipeline adapters. The face's batching lives
in :mod:`unidl_keras.trainers.data_adapter`; ``py_dataset_adapter`` names the ``PyDataset`` base class there."""
