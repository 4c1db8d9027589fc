"""kankei's Datasette: metadata (metadata.yml), templates, CSS (static/) and the pages plugin (plugin.py)."""
