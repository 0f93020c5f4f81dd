"""The student that the CLI run tests train: `vfl_net_nano` cut to one stage of one block, dim 8.

These tests are about run folders (resume, kill, NaN stop, extension, two workers), not about depth: one
stage traces and saves in about half the time of four (measured: 20 s of CPU instead of 37 s for a
two-epoch `train` process), with every layer type still in the graph.
"""

import json

STUDENT_OVERRIDES = json.dumps({"embed_dim": 8, "depths": [1], "focal_levels": [2], "focal_windows": [3]})
