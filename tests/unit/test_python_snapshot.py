"""The Python memory snapshot the page starts from, restored under Node as the page restores it.

The snapshot is built by ``make`` (tools/pyodide_snapshot.mjs); web/pyodide-restore.mjs is
what the page runs after restoring it. Node comes with npm, which ``make`` needs anyway.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tools.vendor_runtime import RUNTIME_DIR, SNAPSHOT_NAME

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = RUNTIME_DIR / "pyodide" / SNAPSHOT_NAME

HARNESS = """
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { gunzipSync } from "node:zlib";
const [pyodideDir, restoreModule, snapshotFile] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(pyodideDir + "/pyodide.mjs").href);
const { afterRestore } = await import(restoreModule);
const snapshot = gunzipSync(readFileSync(snapshotFile));
const PROBE = `
import json, random, sys, time
json.dumps({
    "random": random.random(),
    "zone": [time.timezone, time.altzone, time.daylight, list(time.tzname), time.strftime("%Z")],
    "preloaded": sorted(m for m in ("markdown_it", "asyncio", "email.utils") if m in sys.modules),
    "app": sorted(getattr(sys, "_snapshot_sources", {})),
    "app_loaded": sorted(m for m in sys.modules if m == "app" or m.startswith("app.")),
})
`;
const restore = () => loadPyodide({ indexURL: pyodideDir + "/", _loadSnapshot: snapshot });
const raw = [await restore(), await restore()].map((py) => JSON.parse(py.runPython(PROBE)));
const fixed = [await restore(), await restore()].map((py) => {
  afterRestore(py);
  return JSON.parse(py.runPython(PROBE));
});
const fresh = JSON.parse((await loadPyodide({ indexURL: pyodideDir + "/" })).runPython(PROBE));
console.log(JSON.stringify({ raw, fixed, fresh }));
"""


@pytest.fixture(scope="module")
def restored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Two plain restores, two restores with the page's fix-ups, and a fresh start."""
    assert SNAPSHOT.is_file(), f"{SNAPSHOT} is missing: `make deps` builds it"
    node = shutil.which("node")
    assert node, "node is missing: it comes with npm, which `make` installs from"
    harness = tmp_path_factory.mktemp("snapshot") / "harness.mjs"
    harness.write_text(HARNESS)
    done = subprocess.run(
        [
            node,
            str(harness),
            str(RUNTIME_DIR / "pyodide"),
            (ROOT / "web" / "pyodide-restore.mjs").as_uri(),
            str(SNAPSHOT),
        ],
        # A zone with daylight saving, so a zone frozen at build time shows.
        env={**os.environ, "TZ": "America/New_York"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_snapshot_holds_the_libraries_the_app_imports(restored: dict) -> None:
    fresh_start_lacks = set(restored["fresh"]["preloaded"])
    for state in restored["fixed"]:
        assert state["preloaded"] == ["asyncio", "email.utils", "markdown_it"]
    assert "markdown_it" not in fresh_start_lacks  # so the snapshot, not Pyodide, brought it


def test_every_restore_gets_its_own_random_seed(restored: dict) -> None:
    first, second = restored["raw"]
    assert first["random"] == second["random"]  # what the fix-up is for
    first, second = restored["fixed"]
    assert first["random"] != second["random"]


def test_a_restored_python_has_the_browsers_time_zone(restored: dict) -> None:
    assert restored["fresh"]["zone"][2] == 1, "TZ was not honoured: no daylight saving"
    for state in restored["fixed"]:
        assert state["zone"] == restored["fresh"]["zone"]


def test_the_snapshot_is_gzip_the_server_marks_as_such() -> None:
    """The page relies on ``Content-Encoding: gzip``, which the ``.gz`` name makes the server send."""
    assert SNAPSHOT.name.endswith(".gz")
    with gzip.open(SNAPSHOT) as packed:
        assert packed.read(4) == (0x706E7300).to_bytes(4, "little")


def test_the_snapshot_holds_the_apps_browser_free_modules_with_their_digests(
    restored: dict,
) -> None:
    expected = sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in (ROOT / "app").rglob("*.py")
        if "browser" not in path.relative_to(ROOT).parts
    )
    for state in restored["fixed"]:
        assert state["app"] == expected  # each one's digest, for web/main.py to compare
        assert state["app_loaded"] == expected  # imported, and nothing of app.browser
    assert restored["fresh"]["app"] == []
