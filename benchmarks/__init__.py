"""Benchmarks: run `python3 benchmarks/bench.py --help`."""
