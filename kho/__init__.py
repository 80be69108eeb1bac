"""Kho: the application around the layers — settings, CLI, pipeline runner, quality gates, publication."""

__version__ = "0.1.0"
