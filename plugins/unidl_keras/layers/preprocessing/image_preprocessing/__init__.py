"""Image preprocessing and augmentation layers (mirroring ``keras/src/layers/preprocessing/image_preprocessing``)."""
