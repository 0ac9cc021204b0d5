"""Placeholder until the old-address importer lands."""
