"""`make quickstart` installs the package without its extras: the quickstart's code imports none of them."""

import subprocess
import sys

# What the `test` and `lint` extras of pyproject.toml bring (import names).
EXTRAS = ("torch", "pytest", "xdist", "ruff", "importlinter", "pre_commit")


def test_quickstart_imports_nothing_from_the_test_and_lint_extras(subprocess_env):
    code = (
        "import sys\n"
        f"for name in {EXTRAS!r}:\n"
        "    sys.modules[name] = None  # importing it now raises ImportError\n"
        "import dvfl_tf.apps.quickstart, dvfl_tf.cli.train_commands, dvfl_tf.runtime\n"
        "print('imported')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=subprocess_env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "imported"
