"""The served Pyodide lock names the wheels we serve, with their real hashes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tools.vendor_runtime import _rewrite_lock


def test_lock_gets_the_hashes_of_the_wheels_we_serve(tmp_path: Path) -> None:
    lock = tmp_path / "pyodide-lock.json"
    lock.write_text(
        json.dumps(
            {
                "info": {},
                "packages": {
                    "micropip": {"file_name": "micropip-0.10.1-py3-none-any.whl", "sha256": "aa"},
                    "packaging": {"file_name": "packaging-24.2-py3-none-any.whl", "sha256": "bb"},
                    "numpy": {"file_name": "numpy.whl", "sha256": "cc"},
                },
            }
        )
    )
    wheels = []
    for name, content in (
        ("micropip-0.10.1-py3-none-any.whl", b"m"),
        ("packaging-24.2-py3-none-any.whl", b"p"),
    ):
        (tmp_path / name).write_bytes(content)
        wheels.append(tmp_path / name)
    _rewrite_lock(lock, wheels)
    packages = json.loads(lock.read_text())["packages"]
    assert packages["micropip"]["sha256"] == hashlib.sha256(b"m").hexdigest()
    assert packages["packaging"]["sha256"] == hashlib.sha256(b"p").hexdigest()
    assert packages["numpy"]["sha256"] == "cc"


def test_the_model_list_is_read_out_of_the_module(tmp_path: Path) -> None:
    """What the page starts from instead of importing WebLLM: the module's own list."""
    from tools.vendor_runtime import PREBUILT_CONFIG, write_prebuilt_config

    (tmp_path / "index.js").write_text(
        "export const prebuiltAppConfig = {useIndexedDBCache: false,"
        ' model_list: [{model_id: "a-MLC", model: "https://x/a"}]};\n'
    )
    config = write_prebuilt_config(tmp_path)
    assert json.loads((tmp_path / PREBUILT_CONFIG).read_text()) == config
    assert [m["model_id"] for m in config["model_list"]] == ["a-MLC"]


def test_a_module_without_a_model_list_fails_the_build(tmp_path: Path) -> None:
    import pytest

    from tools.vendor_runtime import write_prebuilt_config

    (tmp_path / "index.js").write_text("export const prebuiltAppConfig = {};\n")
    with pytest.raises(SystemExit, match="no model_list"):
        write_prebuilt_config(tmp_path)
