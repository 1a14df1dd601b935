"""pyscript.toml stays in step with the app package and the pinned wheels."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyscript.toml").read_text())


def test_every_app_module_is_mapped_into_pyodide() -> None:
    on_disk = {
        f"./{path.relative_to(ROOT).as_posix()}"
        for path in (ROOT / "app").rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert set(CONFIG["files"]) == on_disk
    assert all(src == dst for src, dst in CONFIG["files"].items())


def test_nothing_is_loaded_from_another_origin() -> None:
    urls = [CONFIG["interpreter"], *CONFIG["packages"], *CONFIG["js_modules"]["main"]]
    assert all(url.startswith("./") for url in urls)


def test_served_wheels_are_the_pinned_ones() -> None:
    pins = dict(
        re.findall(
            r"^([a-z0-9-]+)==([^\s]+)", (ROOT / "requirements/pyodide-wheels.txt").read_text(), re.M
        )
    )
    for url in CONFIG["packages"]:
        name, version = Path(url).name.split("-")[:2]
        assert pins[name.replace("_", "-")] == version
