"""Source files to canonical tables: fetching the real files, building the catalogues,
resizing the images into shards."""
