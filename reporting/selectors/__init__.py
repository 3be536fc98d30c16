"""The queries behind the report pages. Every figure is computed by the database (aggregates, window functions,
percentile_cont); nothing loops over tickets in Python, so a page costs the same few queries at any volume."""
