"""The deterministic demo collection: catalogue, lesson generator and PDF rendering."""
