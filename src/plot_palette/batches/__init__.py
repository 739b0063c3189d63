"""Batches: parameter sweeps that create up to 20 jobs at once, and their comparison."""
