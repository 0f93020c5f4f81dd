"""No function of the package is longer than `MAX_FUNCTION_LINES`: a longer one is cut into named steps.

The exempt functions are listed by name, so the list can only shrink: the backbone's constructor (one
reading of the official architecture).
"""

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "dvfl_tf"
MAX_FUNCTION_LINES = 60

# "path relative to dvfl_tf/:function name" of the functions allowed to be longer.
EXEMPT = {
    "models/video_focalnet/video_focalnet_backbone.py:__init__",
}


def _long_functions():
    long = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(PACKAGE).as_posix()}:{node.name}"] = lines
    return long


def test_no_function_is_longer_than_the_limit():
    too_long = {name: lines for name, lines in _long_functions().items() if name not in EXEMPT}
    assert not too_long, f"functions over {MAX_FUNCTION_LINES} lines (cut them into named steps): {too_long}"


def test_the_exempt_list_names_only_long_functions():
    # An exempt function that became short leaves the list, so the list only shrinks.
    assert not EXEMPT - set(_long_functions()), EXEMPT - set(_long_functions())
