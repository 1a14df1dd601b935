"""``/app.zip``: the ``app`` package in one archive, generated from the files on disk."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

from litestar.testing import AsyncTestClient

from server.app import create_app
from server.app_bundle import AppBundle
from server.settings import ROOT, Settings


def _modules(app_dir: Path) -> dict[str, bytes]:
    """Every module and data file of the package (the built-in characters are JSON)."""
    return {
        f"app/{path.relative_to(app_dir).as_posix()}": path.read_bytes()
        for pattern in ("*.py", "*.json")
        for path in app_dir.rglob(pattern)
        if "__pycache__" not in path.parts
    }


async def test_the_archive_holds_every_module_and_revalidates(
    tmp_path: Path, database_url: str
) -> None:
    app = create_app(Settings(database_url=database_url, data_dir=tmp_path))
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/app.zip")
        again = await client.get("/app.zip", headers={"if-none-match": response.headers["etag"]})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["cache-control"] == "no-cache"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        served = {name: archive.read(name) for name in archive.namelist()}
    assert served == _modules(ROOT / "app")
    assert again.status_code == 304
    assert again.content == b""


def test_same_files_same_bytes_and_a_change_is_seen(tmp_path: Path) -> None:
    """Deterministic (one ETag on every worker process), and rebuilt when a module changes."""
    app_dir = tmp_path / "app"
    shutil.copytree(ROOT / "app", app_dir, ignore=shutil.ignore_patterns("__pycache__"))
    first = AppBundle(app_dir).current()
    assert AppBundle(app_dir).current().data == first.data
    bundle = AppBundle(app_dir)
    (app_dir / "gpu.py").write_text((app_dir / "gpu.py").read_text() + "\n# changed\n")
    (app_dir / "extra.py").write_text("VALUE = 1\n")
    changed = bundle.current()
    assert changed.digest != first.digest
    with zipfile.ZipFile(io.BytesIO(changed.data)) as archive:
        assert archive.read("app/extra.py") == b"VALUE = 1\n"
        assert archive.read("app/gpu.py").endswith(b"# changed\n")
