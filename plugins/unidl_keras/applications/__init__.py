"""``keras.applications``: reference architectures built from the face's layers.

Only the architectures are provided: ``weights=None`` (random initialization) or ``weights=<path>`` (a
weights file on disk, loaded with ``model.load_weights``). Pretrained ImageNet weights are not
downloaded; ``weights="imagenet"`` raises an error saying so.
"""
from . import imagenet_utils, mobilenet
from .mobilenet import MobileNet

__all__ = ["MobileNet", "mobilenet", "imagenet_utils"]
