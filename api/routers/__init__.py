"""One router per resource: health, tables, sessions, leaderboard, ingestion, feeds, admin."""
