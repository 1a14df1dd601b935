"""The offline app shell: a service worker that precaches one version of everything the page
loads, versioned by a content hash.

``/sw.js`` is ``web/sw.js`` with the version and the file list written in, so any change to a
shell file changes the worker's bytes: the browser installs the new worker, which fills a new
cache and deletes the old one on activation. The hash is computed from file contents; it is
recomputed only when a file's size or modification time changed (a stat per request). The
``app`` package is one file here, ``/app.zip`` (:mod:`server.app_bundle`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from litestar import Response, get
from litestar.datastructures import CacheControlHeader

from server.app_bundle import URL as APP_BUNDLE_URL
from server.app_bundle import AppBundle
from server.stat_stamp import Stamp, stamp_of

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

    from server.settings import Settings

__all__ = ["ShellManifest", "offline_routes"]

#: Files under web/ that are not served as /static/ files of the shell: the page (cached as
#: "/"), the worker itself, and the default presets file (served as /model-presets.json).
_NOT_STATIC = frozenset({"index.html", "sw.js", "presets.json"})


@dataclass(frozen=True)
class _Snapshot:
    stamp: Stamp
    bundle: str
    version: str
    urls: tuple[str, ...]


class ShellManifest:
    """Which URLs make up the shell, and the hash of their contents."""

    def __init__(self, settings: Settings, bundle: AppBundle | None = None) -> None:
        self.settings = settings
        self.bundle = bundle or AppBundle(settings.app_dir)
        self._snapshot: _Snapshot | None = None

    def _files(self) -> list[tuple[str, Path]]:
        s = self.settings
        files: list[tuple[str, Path]] = [
            ("/", s.web_dir / "index.html"),
            ("/pyscript.toml", s.web_dir.parent / "pyscript.toml"),
        ]
        files += [
            (f"/static/{path.name}", path)
            for path in sorted(s.web_dir.iterdir())
            if path.is_file() and path.name not in _NOT_STATIC and not path.name.startswith(".")
        ]
        files += [
            (f"/runtime/{path.relative_to(s.runtime_dir).as_posix()}", path)
            for path in sorted(s.runtime_dir.rglob("*"))
            if path.is_file() and not path.name.startswith(".")
        ]
        files = [(url, path) for url, path in files if path.is_file()]
        # Generated from the presets file; the worker keeps it fresh (network first).
        files.append(("/model-presets.json", s.presets_file))
        return files

    def snapshot(self) -> _Snapshot:
        """The current version and URL list (cached until a file changes)."""
        files = self._files()
        stamp = stamp_of(files)
        bundle = self.bundle.current().digest
        if self._snapshot is None or (self._snapshot.stamp, self._snapshot.bundle) != (
            stamp,
            bundle,
        ):
            digest = hashlib.sha256()
            for url, path in files:
                digest.update(url.encode())
                digest.update(hashlib.sha256(path.read_bytes() if path.is_file() else b"").digest())
            digest.update(APP_BUNDLE_URL.encode())
            digest.update(bundle.encode())
            urls = (*(url for url, _ in files), APP_BUNDLE_URL)
            self._snapshot = _Snapshot(stamp, bundle, digest.hexdigest()[:16], urls)
        return self._snapshot

    def worker_script(self) -> str:
        """``web/sw.js`` with this version written in."""
        snapshot = self.snapshot()
        template = (self.settings.web_dir / "sw.js").read_text(encoding="utf-8")
        return template.replace('"__VERSION__"', json.dumps(snapshot.version)).replace(
            '["__FILES__"]', json.dumps(list(snapshot.urls))
        )


def offline_routes(settings: Settings, bundle: AppBundle) -> list[ControllerRouterHandler]:
    """``/sw.js`` (scope ``/``) and ``/app-version.json``."""
    manifest = ShellManifest(settings, bundle)
    revalidate = CacheControlHeader(no_cache=True)

    @get("/sw.js", include_in_schema=False, cache_control=revalidate, sync_to_thread=True)
    def service_worker() -> Response[str]:
        """The service worker, versioned by the shell's content hash."""
        return Response(
            manifest.worker_script(),
            media_type="text/javascript",
            headers={"Service-Worker-Allowed": "/"},
        )

    @get(
        "/app-version.json", include_in_schema=False, cache_control=revalidate, sync_to_thread=True
    )
    def app_version() -> dict[str, str]:
        """The shell version the server has now (the page compares it with its own)."""
        return {"version": manifest.snapshot().version}

    return [service_worker, app_version]
