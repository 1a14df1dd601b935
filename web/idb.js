// IndexedDB for the Python side (app/browser/idb.py), and the outbox's flush lock.
//
// Every function resolves, never rejects: {ok: true, value} or {ok: false, name, message}.
// Pyodide cannot raise a rejection whose reason is not an Error, and IndexedDB's are
// DOMExceptions or events, so Python only ever awaits promises that resolve.
//
// The schema comes from Python (app/storage/database.py SCHEMA): onupgradeneeded creates the
// stores and indexes that are missing. On `versionchange` (another tab opening a newer version)
// the connection closes so that tab can upgrade; the next call here reopens it, and fails with a
// VersionError if this tab's code is the older one (the page should ask for a reload).

import { failure as fail } from "./outcome.js";

const BLOCKED_MS = 5000;

function connect(name, version, schema) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const request = indexedDB.open(name, version);
    request.onupgradeneeded = () => {
      const db = request.result;
      for (const [storeName, spec] of Object.entries(schema)) {
        const store = db.objectStoreNames.contains(storeName)
          ? request.transaction.objectStore(storeName)
          : db.createObjectStore(storeName, { keyPath: spec.keyPath });
        for (const [indexName, keyPath] of Object.entries(spec.indexes || {})) {
          if (!store.indexNames.contains(indexName)) store.createIndex(indexName, keyPath);
        }
      }
    };
    request.onblocked = () => {
      // Another tab keeps an older version open and did not close it on versionchange.
      setTimeout(() => {
        if (settled) return;
        settled = true;
        const message = "Another tab of this app keeps the database open; close it and reload.";
        reject({ name: "BlockedError", message });
      }, BLOCKED_MS);
    };
    request.onsuccess = () => {
      const db = request.result;
      if (settled) {
        db.close(); // we already reported the block; do not leak the connection
        return;
      }
      settled = true;
      resolve(db);
    };
    request.onerror = (event) => {
      event.preventDefault();
      settled = true;
      reject(request.error);
    };
  });
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = (event) => {
      event.preventDefault();
      reject(request.error);
    };
  });
}

function write(db, puts, adds, replaces, deletes) {
  return new Promise((resolve, reject) => {
    const names = [...new Set([...puts, ...adds, ...replaces, ...deletes].map(([s]) => s))];
    if (!names.length) {
      resolve([]);
      return;
    }
    const tx = db.transaction(names, "readwrite", { durability: "strict" });
    const added = [];
    const abort = (error) => {
      reject(error);
      try {
        tx.abort();
      } catch {
        // already finished
      }
    };
    // Put `value` only if the key's presence is `wanted` (adds: absent; replaces: present).
    // Requests run in the order they are placed, all inside this one transaction.
    const putIf = (storeName, value, wanted, onPut) => {
      const store = tx.objectStore(storeName);
      const key = value[store.keyPath];
      const counted = store.count(key);
      counted.onsuccess = () => {
        if ((counted.result > 0) !== wanted) return;
        try {
          store.put(value);
          if (onPut) onPut(key);
        } catch (error) {
          abort(error);
        }
      };
    };
    tx.oncomplete = () => resolve(added);
    tx.onabort = () => reject(tx.error || { name: "AbortError", message: "The write was aborted." });
    try {
      for (const [storeName, value] of puts) tx.objectStore(storeName).put(value);
      for (const [storeName, value] of adds) putIf(storeName, value, false, (k) => added.push(k));
      for (const [storeName, value] of replaces) putIf(storeName, value, true, null);
      for (const [storeName, key] of deletes) tx.objectStore(storeName).delete(key);
    } catch (error) {
      abort(error);
    }
  });
}

// open(name, version, schema) -> {ok, value: handle}; the handle's methods resolve {ok, ...}.
export async function open(name, version, schema) {
  if (typeof indexedDB === "undefined") {
    return { ok: false, name: "NotSupportedError", message: "IndexedDB is not available." };
  }
  let db = null;
  let closed = false;
  const ready = async () => {
    if (closed) throw { name: "InvalidStateError", message: "The database was closed." };
    if (!db) {
      const opened = await connect(name, version, schema);
      opened.onversionchange = () => {
        opened.close();
        if (db === opened) db = null;
      };
      opened.onclose = () => {
        if (db === opened) db = null; // closed by the browser (storage cleared): reopen
      };
      db = opened;
    }
    return db;
  };
  const run = async (work) => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return { ok: true, value: await work(await ready()) };
      } catch (error) {
        // The connection closed under us (versionchange, storage cleared): reopen once.
        if (attempt || closed || !error || error.name !== "InvalidStateError") return fail(error);
        db = null;
      }
    }
  };
  try {
    await ready();
  } catch (error) {
    return fail(error);
  }
  const handle = {
    get: (store, key) => run((d) => done(d.transaction(store).objectStore(store).get(key))),
    getAll: (store, index, value) =>
      run((d) => {
        const source = d.transaction(store).objectStore(store);
        const target = index == null ? source : source.index(index);
        return done(value == null ? target.getAll() : target.getAll(IDBKeyRange.only(value)));
      }),
    write: (puts, adds, replaces, deletes) =>
      run((d) => write(d, puts || [], adds || [], replaces || [], deletes || [])),
    // The same write, its four lists as one JSON text: one string crosses from Python instead
    // of four converted object graphs (the enqueue of every message goes this way).
    writeJson: (text) =>
      run((d) => {
        const [puts, adds, replaces, deletes] = JSON.parse(text);
        return write(d, puts, adds, replaces, deletes);
      }),
    close: () => {
      closed = true;
      if (db) db.close();
      db = null;
    },
  };
  return { ok: true, value: handle };
}

// tryLock(name) -> {ok, held, release()}: the Web Lock `name` if no other tab holds it.
// The lock is held until release() is called (or the tab closes); release() returns a promise
// that settles once the lock manager has let it go, so a flush that follows at once in this
// tab finds it free instead of taking itself for another tab. Where Web Locks are missing,
// every tab "gets" it: flushes are idempotent on the server, so that is safe, only wasteful.
export function tryLock(name) {
  const none = () => Promise.resolve();
  return new Promise((resolve) => {
    const locks = globalThis.navigator && navigator.locks;
    if (!locks) {
      resolve({ ok: true, held: true, release: none });
      return;
    }
    let gone = null;
    const done = locks.request(name, { ifAvailable: true }, (lock) => {
      if (!lock) {
        resolve({ ok: true, held: false, release: none });
        return undefined;
      }
      return new Promise((release) =>
        resolve({ ok: true, held: true, release: () => (release(), gone) }),
      );
    });
    gone = done.then(none, none);
    done.catch((error) => resolve(fail(error)));
  });
}
