"""Random model inputs in each input's own range: raw RGB [0, 255] for float, the full range for integers."""

import numpy as np


def random_input(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    shape = tuple(int(d) if d and d > 0 else 1 for d in shape)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)
    return rng.uniform(0.0, 255.0, size=shape).astype(dtype)
