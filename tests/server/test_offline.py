"""The service worker is versioned by the shell's contents and lists every shell file."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from litestar.testing import AsyncTestClient

from server.app import create_app
from server.offline import ShellManifest
from server.settings import ROOT, Settings


def _files(script: str) -> list[str]:
    match = re.search(r"const FILES = (\[.*?\]);", script, re.S)
    assert match
    return json.loads(match.group(1))


async def test_sw_lists_the_shell_and_never_the_api(tmp_path: Path, database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, data_dir=tmp_path))
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/sw.js")
        version = (await client.get("/app-version.json")).json()["version"]
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-cache"
    files = _files(response.text)
    for needed in (
        "/",
        "/pyscript.toml",
        "/app.zip",
        "/static/style.css",
        "/static/webllm-worker.js",
        "/runtime/pyodide/pyodide.asm.wasm",
        "/runtime/pyodide/python_stdlib.zip",
        "/runtime/pyodide/pyodide-lock.json",
        "/runtime/web-llm/index.js",
    ):
        assert needed in files
    assert any(f.startswith("/runtime/wheels/") for f in files)
    assert not any(f.startswith(("/api/", "/app/")) for f in files)  # the package is /app.zip
    assert f'const VERSION = "{version}"' in response.text


def test_version_follows_content(tmp_path: Path) -> None:
    app_copy = tmp_path / "app"
    shutil.copytree(ROOT / "app", app_copy, ignore=shutil.ignore_patterns("__pycache__"))
    manifest = ShellManifest(Settings(app_dir=app_copy, data_dir=tmp_path))
    first = manifest.snapshot().version
    assert manifest.snapshot().version == first  # stable while nothing changes
    (app_copy / "gpu.py").write_text((app_copy / "gpu.py").read_text() + "\n# changed\n")
    second = manifest.snapshot().version
    assert second != first
    assert f'"{second}"' in manifest.worker_script()


def test_every_shell_file_is_precached_without_a_list_to_keep(tmp_path: Path) -> None:
    """A file added to web/ (a new JS module, say) is in the worker's list at once."""
    web = tmp_path / "web"
    shutil.copytree(ROOT / "web", web)
    (web / "new-glue.js").write_text("export const x = 1;\n")
    urls = ShellManifest(Settings(web_dir=web, data_dir=tmp_path)).snapshot().urls
    assert "/static/new-glue.js" in urls
    assert "/static/outcome.js" in urls
    assert not any(u.endswith(("/sw.js", "/index.html", "/presets.json")) for u in urls)
    assert "/" in urls
