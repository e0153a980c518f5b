"""Question-bank formats: one module per import/export format, all producing :mod:`.model` records."""
