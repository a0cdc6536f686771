"""Scraper test fixtures (see ``fixtures.py``)."""

from tests.scraping.fixtures import scraper_env, website

__all__ = ["scraper_env", "website"]
