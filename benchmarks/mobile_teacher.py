"""A wider vfl_net_mobile as a teacher for the mobile student on the synthetic benchmark.

The quickstart teacher (the nano's block, embed 32, 4x4 patches) scores 0.81-0.95
on the synthetic test split, below what the `vfl_net_mobile` student reaches alone
in 12 epochs (1.000), so a distillation from it has nothing to add at that budget.
This trains the mobile preset's architecture with a wider embedding (default 96,
2x the preset's 48) at the mobile records' input (8x64x64) with their
student recipe, as a teacher for `python -m benchmarks mobile-distill --teacher`.

    python -m benchmarks mobile-teacher --output runs/mobile_teacher_e96 --embed-dim 96 --epochs 12

A finished run is reused (rerun to resume); prints the teacher's test top-1.
"""

import argparse
import os

from benchmarks.mobile_distill import STUDENT_RECIPE, data_options
from dvfl_tf.apps import quickstart
from dvfl_tf.training.workflows import train


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True)
    parser.add_argument("--embed-dim", type=int, default=96)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--data-root", default=None, help="another synthetic-format dataset (python -m benchmarks fine-pan-data)"
    )
    args = parser.parse_args()
    recipe = {**STUDENT_RECIPE, "epochs": args.epochs}
    config = quickstart._config(args.output, recipe, args.seed)  # noqa: SLF001 (the quickstart's run settings)
    options = data_options(data_root=args.data_root)
    train(config, options, model="vfl_net_mobile", overrides={"embed_dim": args.embed_dim}, validate=False)
    report = quickstart.evaluate_run(os.path.join(args.output, "last.keras"), options=options)
    print(f"teacher vfl_net_mobile embed {args.embed_dim}, {args.epochs} epochs: test top-1 {report['top1']:.3f}")


if __name__ == "__main__":
    main()
