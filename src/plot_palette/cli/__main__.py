"""``python -m plot_palette.cli`` is the ``plot-palette`` command."""

from plot_palette.cli.app import app

app(prog_name="plot-palette")
