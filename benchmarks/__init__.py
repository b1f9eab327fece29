"""Benchmarks: Khasan-shaped synthetic graphs at any size, and the figures of the fast and the plain pipeline."""
