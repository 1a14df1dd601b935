// What a restored Python snapshot must redo for this page: the snapshot froze, at build time,
// the random seed and the time zone of the machine that built it. Kept apart from
// pyodide-boot.mjs so it can be tested under Node against the real snapshot.

const PER_PAGE_STATE = `
import random, time

random.seed()  # from os.urandom, as a fresh start would

# time.timezone, altzone, daylight and tzname, as CPython computes them without tzset().
year = time.localtime().tm_year
jan, jul = (time.localtime(time.mktime((year, m, 1, 12, 0, 0, 0, 0, -1))) for m in (1, 7))
std, dst = (jul, jan) if jan.tm_gmtoff > jul.tm_gmtoff else (jan, jul)
time.timezone, time.altzone = -std.tm_gmtoff, -dst.tm_gmtoff
time.daylight = int(std.tm_gmtoff != dst.tm_gmtoff)
time.tzname = (std.tm_zone, dst.tm_zone)
`;

/** Give a Pyodide restored from a snapshot this page's random seed and time zone. */
export function afterRestore(pyodide) {
  // Emscripten's libc read the zone once (its tzset ran while the snapshot was made): read it
  // again from this browser's clock into the same C globals.
  const module = pyodide._module;
  const names = module._tzname >>> 2;
  module.__tzset_js(
    module._timezone,
    module._daylight,
    module.HEAPU32[names],
    module.HEAPU32[names + 1],
  );
  const scratch = pyodide.globals.get("dict")();
  try {
    pyodide.runPython(PER_PAGE_STATE, { globals: scratch });
  } finally {
    scratch.destroy();
  }
}
