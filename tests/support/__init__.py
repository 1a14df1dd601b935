"""Helpers shared by the server, browser and benchmark suites."""
