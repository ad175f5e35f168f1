"""Benchmark tools: a fast bulk loader (bench.seed) and what measures the app against it."""
