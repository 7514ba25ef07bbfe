"""Dataset generators: build the data/*.ttl files from the raw sources."""
