"""The Fargate Spot worker: checkpointed, interruption-safe generation of one job's records."""
