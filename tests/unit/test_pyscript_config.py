"""pyscript.toml stays in step with the app package and the pinned wheels."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyscript.toml").read_text())


def test_the_app_package_arrives_as_one_archive_unpacked_in_place() -> None:
    """No file list kept by hand: the server zips app/ (tests/server/test_app_bundle.py)."""
    assert CONFIG["files"] == {"./app.zip": "./*"}


def test_webllm_is_not_imported_at_start_up() -> None:
    """7 MB of JS the page starts without (web/engine-glue.js imports it on first use)."""
    assert not any("web-llm" in url for url in CONFIG["js_modules"]["main"])
    assert "/runtime/web-llm/index.js" in (ROOT / "web/engine-glue.js").read_text()


def test_nothing_is_loaded_from_another_origin() -> None:
    urls = [
        CONFIG["interpreter"],
        *CONFIG.get("packages", []),
        *CONFIG["files"],
        *CONFIG["js_modules"]["main"],
    ]
    assert all(url.startswith("./") for url in urls)


def test_no_package_is_installed_by_micropip_at_start_up() -> None:
    """The interpreter module unpacks the wheels itself (web/pyodide-boot.mjs)."""
    assert not CONFIG.get("packages")
    boot = (ROOT / "web/pyodide-boot.mjs").read_text()
    assert "unpackArchive" in boot
    assert "index.json" in boot


def test_served_wheels_are_the_pinned_ones(tmp_path: Path) -> None:
    from tools.vendor_runtime import write_wheel_index

    pins = dict(
        re.findall(
            r"^([a-z0-9-]+)==([^\s]+)", (ROOT / "requirements/pyodide-wheels.txt").read_text(), re.M
        )
    )
    for name in ("mdurl-0.1.2-py3-none-any.whl", "markdown_it_py-3.0.0-py3-none-any.whl"):
        (tmp_path / name).write_bytes(b"")
    listed = write_wheel_index(tmp_path)
    assert listed == json.loads((tmp_path / "index.json").read_text())
    served = ROOT / "build/runtime/wheels/index.json"  # what setup (make deps) wrote
    if served.exists():
        listed = json.loads(served.read_text())
        assert {w.split("-")[0].replace("_", "-") for w in listed} >= {"mdurl", "markdown-it-py"}
    for wheel in listed:
        name, version = wheel.split("-")[:2]
        assert pins[name.replace("_", "-")] == version
