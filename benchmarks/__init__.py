"""The scripts that regenerate the documentation's figures: `python -m benchmarks list` names them."""
