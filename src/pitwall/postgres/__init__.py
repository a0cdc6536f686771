"""PostgreSQL mirror of the lake: server, roles, binary COPY, incremental mirror, status."""
