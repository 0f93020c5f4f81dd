"""The board fallback, the REAL tflite-runtime 2.14 package (not a stand-in module).

It was built for NumPy 1.x, so it lives in a venv of its own (numpy<2), made by
`make fallback-runtime` (which `make test` runs first; the fixture runs it when
the venv is missing). `DVFL_TF_FALLBACK_PYTHON` points at its interpreter.

tflite-runtime 2.14 was published for CPython 3.9-3.11 only (PyPI has no cp312 or
later wheel), so on a newer Python these tests cannot run and say why.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from dvfl_tf.runtime import TFLiteVideoClassifier

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

LAST_PYTHON_WITH_A_WHEEL = (3, 11)
if sys.version_info[:2] > LAST_PYTHON_WITH_A_WHEEL:
    pytest.skip(
        f"not applicable on Python {sys.version_info[0]}.{sys.version_info[1]}: tflite-runtime 2.14, the board "
        "fallback runtime, has no wheel for it (PyPI has CPython 3.9-3.11 only); these tests run under Python <= 3.11",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def fallback_python():
    python = os.environ.get("DVFL_TF_FALLBACK_PYTHON") or os.path.join(REPO, ".venv-tflite-runtime", "bin", "python")
    if not os.path.exists(python):
        subprocess.run(
            ["make", "-C", REPO, "fallback-runtime", f"PYTHON={sys.executable}"],
            check=True,
            capture_output=True,
            timeout=900,
        )
    return python


def _run(python, code, extra_path=()):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([REPO, *extra_path])}
    return subprocess.run([python, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300, env=env)


def test_real_tflite_runtime_runs_the_exports_like_litert(fallback_python, exports, tmp_path):
    from tests.model_testing import random_clips

    clip = random_clips(1, 2, 16, seed=5)[0]
    np.save(tmp_path / "clip.npy", clip)
    paths = {mode: exports[mode][0] for mode in ("float32", "int8")}
    result = _run(
        fallback_python,
        f"""
        import json, numpy as np, tflite_runtime
        from dvfl_tf.runtime import TFLiteVideoClassifier
        clip = np.load({str(tmp_path / "clip.npy")!r})
        out = {{"numpy": np.__version__, "tflite_runtime": tflite_runtime.__version__}}
        for mode, path in {paths!r}.items():
            classifier = TFLiteVideoClassifier(path)
            out[mode] = [classifier.backend, classifier.predict_logits(clip).tolist(), classifier.class_names]
        print(json.dumps(out))
        """,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["numpy"].startswith("1.") and out["tflite_runtime"] == "2.14.0"
    for mode, path in paths.items():
        backend, logits, class_names = out[mode]
        assert backend == "tflite_runtime"
        litert = TFLiteVideoClassifier(path)
        assert litert.backend == "ai_edge_litert" and class_names == litert.class_names
        expected = litert.predict_logits(clip)
        if mode == "float32":
            np.testing.assert_allclose(logits, expected, rtol=1e-4, atol=1e-4)
        else:  # the same integer kernels: at most one step of the output scale apart
            scale = litert.interpreter.get_output_details()[0]["quantization"][0]
            assert np.max(np.abs(np.asarray(logits) - expected)) <= scale + 1e-6


def test_tflite_runtime_under_numpy2_is_detected_with_what_to_install(fallback_python, exports, tmp_path):
    # The real 2.14 package made importable next to NumPy 2 (this venv), with ai-edge-litert hidden: the
    # combination that fails with "SystemError ... returned a result with an exception set".
    site = subprocess.run(
        [fallback_python, "-c", "import tflite_runtime, os; print(os.path.dirname(tflite_runtime.__file__))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    only = tmp_path / "only_tflite_runtime"
    only.mkdir()
    os.symlink(site, only / "tflite_runtime")
    result = _run(
        sys.executable,
        f"""
        import sys
        sys.modules["ai_edge_litert.interpreter"] = None
        import numpy
        assert numpy.__version__.startswith("2."), numpy.__version__
        from dvfl_tf.runtime import RuntimeNotFoundError, TFLiteVideoClassifier
        try:
            TFLiteVideoClassifier({exports["int8"][0]!r})
        except RuntimeNotFoundError as error:
            print("ERROR:", error)
        """,
        extra_path=[str(only)],
    )
    assert result.returncode == 0, result.stderr[-3000:]
    message = result.stdout.strip().splitlines()[-1]
    assert "tflite-runtime 2.14.0 was built for NumPy 1.x" in message
    assert "pip install ai-edge-litert" in message and "numpy<2" in message
    assert "SystemError" not in result.stderr
