"""Developer tooling: runtime vendoring and model artifact tools (not shipped to the browser)."""
