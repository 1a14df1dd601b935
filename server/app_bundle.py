"""The ``app/`` package as one zip for the page: one request instead of one per module.

PyScript unpacks it into Pyodide's working directory (``pyscript.toml``: ``"./app.zip" =
"./*"``), so the file list the page loads is generated from the package on disk rather than
kept by hand, and the service worker precaches this one URL. The archive is deterministic
(sorted names, fixed timestamps): the same files give the same bytes, hence the same ETag on
every worker process, and it is rebuilt only when a file's size or modification time changed.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from litestar import Response, get

from server.stat_stamp import Stamp, stamp_of

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

__all__ = ["AppBundle", "Built", "app_bundle_routes", "bundle_files"]

URL = "/app.zip"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can store


@dataclass(frozen=True)
class Built:
    """One build of the archive."""

    stamp: Stamp
    data: bytes
    digest: str  # SHA-256 of ``data``: changes with any module's contents or name


def bundle_files(app_dir: Path) -> list[tuple[str, Path]]:
    """``(name in the archive, file)`` for every module of the package and its data files
    (``*.json``), sorted."""
    found = [*app_dir.rglob("*.py"), *app_dir.rglob("*.json")]
    return [
        (f"app/{path.relative_to(app_dir).as_posix()}", path)
        for path in sorted(found)
        if "__pycache__" not in path.parts
    ]


class AppBundle:
    """The zip of the ``app`` package directory and its content hash, cached until a file changes."""

    def __init__(self, app_dir: Path) -> None:
        self.app_dir = app_dir
        self._built: Built | None = None

    def current(self) -> Built:
        """The archive for the files on disk now (a stat per file; rebuilt on change)."""
        files = bundle_files(self.app_dir)
        stamp = stamp_of(files)
        if self._built is None or self._built.stamp != stamp:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for name, path in files:
                    info = zipfile.ZipInfo(name, _EPOCH)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = 0o644 << 16
                    archive.writestr(info, path.read_bytes())
            data = buffer.getvalue()
            self._built = Built(stamp, data, hashlib.sha256(data).hexdigest())
        return self._built


def app_bundle_routes(bundle: AppBundle) -> list[ControllerRouterHandler]:
    """``GET /app.zip``, revalidated on every load (a ``304`` while the package is unchanged)."""

    @get(URL, include_in_schema=False, sync_to_thread=True)
    def app_zip() -> Response[bytes]:
        """The ``app`` package, unpacked by PyScript into the interpreter's file system."""
        built = bundle.current()
        return Response(
            built.data,
            media_type="application/zip",
            headers={"ETag": f'"{built.digest[:32]}"', "Cache-Control": "no-cache"},
        )

    return [app_zip]
