"""The bottom layer: errors, safe writes, quiet start-up, lazy exports, model-file checks, the TFLite flatbuffer reader."""
