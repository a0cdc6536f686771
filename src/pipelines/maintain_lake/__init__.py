"""maintain_lake: compact, set retention, vacuum and checkpoint the lake tables."""
