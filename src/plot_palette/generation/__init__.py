"""Generation: the per-record engine (steps in order, budget-guarded model calls)."""

from plot_palette.generation.engine import GeneratedRecord, GenerationStopped, RecordEngine

__all__ = ["GeneratedRecord", "GenerationStopped", "RecordEngine"]
