"""Set of experimental components that yet to be matured."""
