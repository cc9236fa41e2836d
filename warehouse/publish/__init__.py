"""Publishing: the bytes officers and downstream systems consume — pages, PDFs, spreadsheets,
scoped bundles with a manifest, the serving database and the DuckDB catalog."""
