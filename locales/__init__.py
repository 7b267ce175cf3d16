"""gettext catalogs (wuye.pot and one wuye.po per language), shipped as package data."""
