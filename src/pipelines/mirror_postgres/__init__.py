"""mirror_postgres: copy the lake's CLEAN (and configured RAW) tables into PostgreSQL."""
