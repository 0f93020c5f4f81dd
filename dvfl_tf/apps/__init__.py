"""Applications built from the library: the quickstart."""
