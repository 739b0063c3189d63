"""Templates: the sandboxed multi-step prompt engine, its filters, schema detection, seed data."""

from plot_palette.templates.engine import (
    load_template,
    output_fields,
    render_step,
    required_fields,
)
from plot_palette.templates.model import DEFAULT_MAX_TOKENS, PromptTemplate, TemplateStep
from plot_palette.templates.seeds import (
    MAX_SEED_BYTES,
    missing_fields,
    parse_seed_data,
    validate_seed_data,
)

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "MAX_SEED_BYTES",
    "PromptTemplate",
    "TemplateStep",
    "load_template",
    "missing_fields",
    "output_fields",
    "parse_seed_data",
    "render_step",
    "required_fields",
    "validate_seed_data",
]
