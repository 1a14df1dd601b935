"""Subdirectory of bench."""
