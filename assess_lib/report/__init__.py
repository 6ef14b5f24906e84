"""Presentation: notebook display helpers and publishing (HTML)."""
