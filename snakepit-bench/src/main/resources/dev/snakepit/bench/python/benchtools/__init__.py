"""Tools the benchmarks call: a no-op, CPU-bound work, and payloads of a given size each way."""
