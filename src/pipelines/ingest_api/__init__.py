"""ingest_api: declared REST sources -> RAW (record JSON + metadata) -> CLEAN (typed, merged)."""
