"""Benchmarks (``dajiandu bench <what>``): one module per bench."""
