"""Dock panels: palette, inspector, model summary, training settings, data."""
