// Build a Pyodide memory snapshot: CPython already booted, our wheels installed and the modules
// the app imports at start-up already imported. The page restores it (web/pyodide-boot.mjs)
// instead of booting Python and importing from scratch, which is most of a warm start.
//
//   node tools/pyodide_snapshot.mjs PYODIDE_DIR OUT.gz [--app APP_DIR] WHEEL...
//
// With --app, the app's modules that import nothing of the browser (app/ outside app/browser/)
// are imported too, from where the page's files land (/home/pyodide/app), and each one's
// SHA-256 is recorded in `sys._snapshot_sources`: web/main.py compares them with the files the
// page was served and drops them all when any differs, so a stale snapshot only costs time.
//
// The snapshot is Pyodide's whole linear memory, so it only fits the exact Pyodide build it was
// made with (Pyodide checks the build id on restore) and must hold no JavaScript references
// beyond Pyodide's own (makeMemorySnapshot refuses otherwise): only pure-Python and built-in
// modules are imported here, never PyScript. Files are not part of it: the page unpacks the
// same wheels again, so modules imported later find their files. The output is gzip: the server sends it with
// `Content-Encoding: gzip` and the browser inflates it.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

// What the app imports while it boots (stdlib and wheels). A module left out still works, it is
// just imported at start-up instead. Pyodide itself imports `random` while it boots, so the page
// reseeds it after a restore; otherwise every page would start from this build's seed.
const PRELOAD = [
  "asyncio",
  "base64",
  "binascii",
  "collections",
  "colorsys",
  "copy",
  "dataclasses",
  "datetime",
  "email.utils",
  "enum",
  "hashlib",
  "inspect",
  "json",
  "math",
  "re",
  "struct",
  "time",
  "typing",
  "urllib.parse",
  "uuid",
  "zlib",
  "mdurl",
  "markdown_it",
  "markdown_it.token",
  "markdown_it.utils",
];

// Unpacks a pure-Python wheel into site-packages. pyodide.loadPackage would leave JavaScript
// references behind, which a snapshot cannot hold.
const UNPACK = `
import importlib, sysconfig, zipfile
def unpack(path):
    with zipfile.ZipFile(path) as wheel:
        wheel.extractall(sysconfig.get_path("purelib"))
    importlib.invalidate_caches()
unpack
`;

// Checked inside the snapshot interpreter before it is written.
const CHECK = `
import gc, sys
bad = sorted(n for n, m in sys.modules.items() if str(getattr(m, "__file__", "")).endswith(".so"))
assert not bad, f"dynamically linked modules cannot be snapshotted: {bad}"
gc.collect()
len(sys.modules)
`;

// Writes the app's browser-free modules where PyScript puts the page's files, imports them and
// records each file's digest.
const APP_IMPORT = `
import hashlib, importlib, sys
def load(names):
    sources = {}
    for name in names:
        module = importlib.import_module(name)
        with open(module.__file__, "rb") as source:
            sources[name] = hashlib.sha256(source.read()).hexdigest()
    sys._snapshot_sources = sources
load
`;

/** The dotted names of the modules under APP_DIR that may be snapshotted, writing their files. */
function writeApp(pyodide, appDir) {
  const names = [];
  const walk = (dir, dotted) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name === "browser" || entry.name === "__pycache__") continue;
        pyodide.FS.mkdirTree(`/home/pyodide/${[...dotted, entry.name].join("/")}`);
        walk(path, [...dotted, entry.name]);
      } else if (entry.name.endsWith(".py")) {
        pyodide.FS.writeFile(`/home/pyodide/${dotted.join("/")}/${entry.name}`, readFileSync(path));
        const module = entry.name === "__init__.py" ? [] : [entry.name.slice(0, -3)];
        names.push([...dotted, ...module].join("."));
      }
    }
  };
  pyodide.FS.mkdirTree("/home/pyodide/app");
  walk(appDir, ["app"]);
  return names.sort();
}

async function main() {
  const args = process.argv.slice(2);
  const at = args.indexOf("--app");
  const appDir = at >= 0 ? args.splice(at, 2)[1] : null;
  const [pyodideDir, out, ...wheels] = args;
  if (!pyodideDir || !out) {
    throw new Error("usage: node tools/pyodide_snapshot.mjs PYODIDE_DIR OUT.gz WHEEL...");
  }
  const indexURL = resolve(pyodideDir) + "/";
  const { loadPyodide } = await import(pathToFileURL(join(indexURL, "pyodide.mjs")).href);
  const quiet = () => {};
  const pyodide = await loadPyodide({ indexURL, _makeSnapshot: true, stdout: quiet });
  const unpack = pyodide.runPython(UNPACK);
  for (const wheel of wheels) {
    const path = `/tmp/${basename(wheel)}`;
    pyodide.FS.writeFile(path, readFileSync(wheel));
    unpack(path);
    pyodide.FS.unlink(path);
  }
  unpack.destroy();
  for (const name of PRELOAD) pyodide.pyimport(name).destroy();
  if (appDir) {
    const load = pyodide.runPython(APP_IMPORT);
    load(writeApp(pyodide, resolve(appDir)));
    load.destroy();
  }
  const modules = pyodide.runPython(CHECK);
  const snapshot = pyodide.makeMemorySnapshot();
  const packed = gzipSync(snapshot, { level: 9 });
  writeFileSync(out, packed);
  const mb = (n) => (n / 1e6).toFixed(1);
  console.log(
    `python snapshot: ${modules} modules, ${mb(snapshot.length)} MB (${mb(packed.length)} MB gzip)`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
