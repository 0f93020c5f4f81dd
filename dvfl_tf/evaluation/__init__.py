"""Evaluating `.keras` and `.tflite` classifiers on a dataset; the Keras inference classifier."""
