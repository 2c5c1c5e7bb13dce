"""Loading CRM exports: the CSV importer, mapping files and presets, the terminal progress bar."""
