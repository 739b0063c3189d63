"""The ``plot-palette`` command line: local cloud, submit, status, watch, download, demo."""

from plot_palette.cli.app import app

__all__ = ["app"]
