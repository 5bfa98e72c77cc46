"""Routers of the dashboard, one module per feature."""
