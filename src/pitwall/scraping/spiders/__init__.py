"""The spiders of the Pitwall Scrapy project (``scrapy list``)."""
