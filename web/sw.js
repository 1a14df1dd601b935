// Service worker: the offline app shell. The server writes VERSION and FILES in (server/offline.py),
// so a change to any shell file is a new worker with a new cache; old caches go on activation.
// API calls are never cached, and model artifacts stay in WebLLM's own caches.
const VERSION = "__VERSION__";
const FILES = ["__FILES__"];
const CACHE = `shell-${VERSION}`;
const NETWORK_FIRST = new Set(["/model-presets.json"]);

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // cache: "reload" skips the HTTP cache, so this version's bytes come from the server.
      await cache.addAll(FILES.map((url) => new Request(url, { cache: "reload" })));
      // No skipWaiting here: a first install activates at once anyway, and an update waits
      // until the user chooses to reload, so a running page never mixes two versions.
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("shell-") && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "skip-waiting") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/") || url.pathname.startsWith("/webllm-model-libs/")) return;
  if (NETWORK_FIRST.has(url.pathname)) {
    event.respondWith(
      (async () => {
        const cache = await caches.open(CACHE);
        try {
          const response = await fetch(request);
          if (response.ok) await cache.put(url.pathname, response.clone());
          return response;
        } catch (error) {
          return (await cache.match(url.pathname)) || Response.error();
        }
      })(),
    );
    return;
  }
  const key = request.mode === "navigate" && url.pathname === "/" ? "/" : url.pathname + url.search;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      return (await cache.match(key)) || fetch(request);
    })(),
  );
});
