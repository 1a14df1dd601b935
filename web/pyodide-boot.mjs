// PyScript's interpreter module (pyscript.toml `interpreter`): Pyodide, restored from the memory
// snapshot that tools/pyodide_snapshot.mjs builds, so the page skips booting CPython and
// importing the app's libraries. Without a usable snapshot (missing, or made by another Pyodide
// build) Python starts from scratch as usual: slower, never broken.
import { loadPyodide as startPyodide, version } from "/runtime/pyodide/pyodide.mjs";
import { afterRestore } from "./pyodide-restore.mjs";

export { version };

const INDEX_URL = new URL("/runtime/pyodide/", import.meta.url).href;
// Served with Content-Encoding: gzip, so the browser hands us the inflated bytes.
const SNAPSHOT_URL = new URL("snapshot.bin.gz", INDEX_URL).href;
const WHEELS_URL = new URL("/runtime/wheels/", import.meta.url).href;

// Pyodide's snapshot header starts with this magic number and the offset of the memory image.
const SNAPSHOT_MAGIC = 0x706e7300;
const WASM_PAGE = 65536;

async function fetchSnapshot() {
  const response = await fetch(SNAPSHOT_URL);
  if (!response.ok) throw new Error(`${SNAPSHOT_URL}: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  // Checked here because Pyodide would size the wasm memory from a bad file and then wait
  // forever on the failed instantiation instead of throwing.
  const header = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const image = bytes.byteLength >= 48 ? bytes.byteLength - header.getUint32(4, true) : 0;
  if (header.getUint32(0, true) !== SNAPSHOT_MAGIC || image <= 0 || image % WASM_PAGE) {
    throw new Error(`${SNAPSHOT_URL}: not a Pyodide memory snapshot`);
  }
  return bytes;
}

/**
 * A thenable that gives up its promise after the first `await`: Pyodide keeps its options for
 * the page's lifetime, and the 25 MB snapshot must not stay alive beside the heap it filled.
 */
function once(promise) {
  promise.catch(() => {}); // reported by loadPyodide below, if Pyodide gets as far as awaiting it
  let pending = promise;
  return {
    then(resolve, reject) {
      const taken = pending;
      pending = null;
      return taken.then(resolve, reject);
    },
  };
}

/** The app's pure-Python wheels (listed at setup in /runtime/wheels/index.json), fetched. */
async function fetchWheels() {
  const index = await fetch(WHEELS_URL + "index.json");
  if (!index.ok) throw new Error(`${WHEELS_URL}index.json: HTTP ${index.status}`);
  const names = await index.json();
  return Promise.all(
    names.map(async (name) => {
      const response = await fetch(WHEELS_URL + encodeURIComponent(name));
      if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
      return [name, await response.arrayBuffer()];
    }),
  );
}

/**
 * Unpack the wheels into site-packages: no micropip, no package resolution at start-up (the
 * versions are pinned and the wheels pure Python). A restored snapshot already holds the
 * modules the app imports first; the files are for those imported later.
 */
async function installWheels(pyodide, wheels) {
  const purelib = pyodide.runPython("import sysconfig; sysconfig.get_path('purelib')");
  for (const [name, buffer] of await wheels) {
    pyodide.unpackArchive(buffer, "wheel", { extractDir: purelib });
  }
  pyodide.runPython("import importlib; importlib.invalidate_caches()");
  performance.mark("python:wheels");
}

/** PyScript calls this with its own options; the index URL is ours, not the module's folder. */
export async function loadPyodide(options = {}) {
  performance.mark("python:boot");
  const settings = { ...options, indexURL: INDEX_URL };
  const wheels = fetchWheels(); // in parallel with Python's start
  wheels.catch(() => {}); // reported when installed
  try {
    const pyodide = await startPyodide({ ...settings, _loadSnapshot: once(fetchSnapshot()) });
    afterRestore(pyodide);
    performance.mark("python:snapshot");
    await installWheels(pyodide, wheels);
    return pyodide;
  } catch (error) {
    console.warn(`Python snapshot not used, starting Python from scratch: ${error}`);
  }
  const pyodide = await startPyodide(settings);
  performance.mark("python:fresh");
  await installWheels(pyodide, wheels);
  return pyodide;
}
