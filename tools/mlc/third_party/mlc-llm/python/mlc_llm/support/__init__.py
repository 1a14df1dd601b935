"""
Common utilities used in the Python package. Do not import anything by default,
as they may introduce unnecessary dependencies.
"""
