"""The `dvfl-tf` command line: a click group whose commands load lazily.

Each command lives in a module of this package and is a thin wrapper over a
library function. Loading is lazy so that `dvfl-tf --help` and data-only
commands do not pay for importing TensorFlow.
"""

import importlib

import click

# command name -> "module:attribute" (module relative to dvfl_tf.cli)
COMMANDS = {
    "convert-checkpoint": "model_commands:convert_checkpoint",
    "profile": "model_commands:profile",
    "benchmark": "benchmark_commands:benchmark",
    "export-tflite": "export_commands:export_tflite_command",
    "predict": "export_commands:predict_command",
    "make-synthetic": "data_commands:make_synthetic_command",
    "check-data": "data_commands:check_data_command",
    "prepare": "data_commands:prepare_command",
    "train": "train_commands:train",
    "distill": "train_commands:distill",
    "evaluate": "train_commands:evaluate",
    "quickstart": "train_commands:quickstart",
    "cache-teacher": "train_commands:cache_teacher",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        module = importlib.import_module(f"{__name__}.{module_name}")
        return getattr(module, attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dvfl-tf")
def main():
    """DVFL-Net: distilled Video-FocalNets for mobile and edge devices."""


if __name__ == "__main__":
    main()
