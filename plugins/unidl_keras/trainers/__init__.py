"""Training loops: compile/fit/evaluate/predict (Keras 3 ``Trainer``)."""
