"""Definitions of pydantic models for API entry points and configurations

Note
----
We use the following convention

- filename_protocol If the classes can appear in an API endpoint
- filename_config For other config classes
"""
