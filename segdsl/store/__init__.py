"""The canonical store: its in-memory model, readers of CSV/Parquet folders, the importer of
line-item exports, and configuration (table/column mapping, time zone)."""
