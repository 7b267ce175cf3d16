"""Translation: the gettext translator, and the tooling that keeps the catalogs in step with the source."""
