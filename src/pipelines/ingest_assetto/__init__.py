"""ingest_assetto: capture daemons' Parquet files -> RAW Delta -> CLEAN ``ac_*`` tables."""
