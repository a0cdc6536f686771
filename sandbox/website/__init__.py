"""A website to scrape: paginated leaderboard, tables, robots.txt, a broken page, a JS page."""

from sandbox.website.pages import PRIVATE_LAP_PATH, Page, build_site
from sandbox.website.server import make_server, serve_website

__all__ = ["PRIVATE_LAP_PATH", "Page", "build_site", "make_server", "serve_website"]
