"""Deploying Plot Palette to an AWS account: checks before ``sam deploy``, steps after it."""
