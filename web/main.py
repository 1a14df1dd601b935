"""PyScript's entry script: hand over to the ``app`` package (mapped in by pyscript.toml)."""

from app.main import main

await main()  # noqa: F704 - PyScript runs scripts with top-level await
