// The one shape in which the page's JS hands Python an outcome: a promise that always
// resolves, to {ok: true, value} or {ok: false, name, message}. Pyodide cannot raise a
// rejection whose reason is not an Error, and they come as plain strings (WebLLM's worker
// client: "TypeError: Failed to fetch"), DOMExceptions and events (IndexedDB), so none may
// reach Python as a rejection. Used by engine-glue.js, http-glue.js and idb.js.

export function describe(error) {
  if (error && typeof error === "object" && "message" in error) {
    return { name: String(error.name || "Error"), message: String(error.message) };
  }
  const text = String(error);
  const match = /^([A-Za-z]*Error):\s*([\s\S]*)$/.exec(text);
  return match ? { name: match[1], message: match[2] } : { name: "Error", message: text };
}

export const failure = (error) => ({ ok: false, ...describe(error) });

export function settle(run) {
  return Promise.resolve()
    .then(run)
    .then((value) => ({ ok: true, value }), failure);
}
