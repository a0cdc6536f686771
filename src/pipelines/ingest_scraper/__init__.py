"""ingest_scraper: websites scraped by the Scrapy project into RAW and CLEAN."""
