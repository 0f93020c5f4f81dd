"""`import dvfl_tf` is enough for `keras.saving.load_model` in a fresh process, and costs no TensorFlow import."""

import subprocess
import sys

import keras
import pytest

LOAD = """
import sys
{imports}
for path in sys.argv[1:]:
    model = keras.saving.load_model(path)
    print(type(model).__name__, model.count_params())
"""


@pytest.fixture(scope="module")
def keras_files(tmp_path_factory):
    """One file of each kind the project writes: classifier (a student), backbone, Distiller."""
    from dvfl_tf.training.distillation_losses import LogitsDistillation
    from dvfl_tf.training.distiller import Distiller
    from tests.model_testing import tiny_classifier

    folder = tmp_path_factory.mktemp("keras_files")
    keras.utils.set_random_seed(0)
    student, teacher = tiny_classifier(3), tiny_classifier(3, embed_dim=12)
    distiller = Distiller(teacher, student, LogitsDistillation(temperature=4.0), student_loss_weight=0.5)
    distiller(keras.ops.zeros((1, 4, 32, 32, 3)))
    files = {"classifier": student, "backbone": student.backbone, "distiller": distiller}
    paths = {}
    for kind, model in files.items():
        paths[kind] = str(folder / f"{kind}.keras")
        model.save(paths[kind])
    return paths, {kind: model.count_params() for kind, model in files.items()}


@pytest.mark.parametrize(
    "imports", ["import keras, dvfl_tf", "import dvfl_tf\nimport keras", "import dvfl_tf\nimport keras_hub, keras"]
)
def test_fresh_process_loads_every_kind_of_file(keras_files, imports, subprocess_env):
    paths, params = keras_files
    completed = subprocess.run(
        [sys.executable, "-c", LOAD.format(imports=imports), *paths.values()],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    lines = completed.stdout.strip().splitlines()
    assert lines == [
        "VideoFocalNetClassifier {}".format(params["classifier"]),
        "VideoFocalNetBackbone {}".format(params["backbone"]),
        "Distiller {}".format(params["distiller"]),
    ]


def test_import_dvfl_tf_does_not_import_tensorflow(subprocess_env):
    code = "import sys, dvfl_tf, dvfl_tf.cli; print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    completed = subprocess.run(
        [sys.executable, "-c", code], env=subprocess_env, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert completed.stdout.strip() == "[]"


def test_registration_list_names_every_module_that_registers_a_keras_class_in_dependency_order():
    """`import dvfl_tf` registers the classes by importing SERIALIZABLE_MODULES: a module that registers a class
    and is missing there would make its `.keras` files unloadable in a fresh process."""
    import ast
    import pathlib

    from dvfl_tf._keras_registration import SERIALIZABLE_MODULES

    root = pathlib.Path(__file__).resolve().parents[1]
    registering = set()
    for path in (root / "dvfl_tf").rglob("*.py"):
        if not path.name.endswith("_test.py") and "register_keras_serializable" in path.read_text():
            registering.add(".".join(path.relative_to(root).with_suffix("").parts))
    registering.discard("dvfl_tf._keras_registration")
    assert set(SERIALIZABLE_MODULES) == registering
    for position, name in enumerate(SERIALIZABLE_MODULES):
        tree = ast.parse((root / (name.replace(".", "/") + ".py")).read_text())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        later = set(SERIALIZABLE_MODULES[position + 1 :])
        assert not imported & later, f"{name} imports {sorted(imported & later)}, listed after it"
