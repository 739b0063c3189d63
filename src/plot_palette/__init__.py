"""Plot Palette: serverless synthetic LLM training data generation on AWS."""

__version__ = "0.1.0"
