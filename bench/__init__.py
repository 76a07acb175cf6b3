"""Benchmarks: `make bench` (or `python -m bench [--quick]`); each figure is printed as
`NAME: VALUE UNIT (target: TARGET) ok|MISSED`, measured side by side in one run."""
