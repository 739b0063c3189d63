"""Quality of a finished job: statistics on every record and a judged sample, within budget."""

from plot_palette.quality.judge import JudgeResult, judge_prompt, judge_records, parse_scores
from plot_palette.quality.run import QualityContext, assess, quality_key
from plot_palette.quality.stats import QualityStats, record_text

__all__ = [
    "JudgeResult",
    "QualityContext",
    "QualityStats",
    "assess",
    "judge_prompt",
    "judge_records",
    "parse_scores",
    "quality_key",
    "record_text",
]
