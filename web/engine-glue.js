// The little JS between Python and WebLLM.
//
// pump(): drains a completion stream in JS and hands Python everything that arrived since its
// last call: the first text at once, then at most once per animation frame. Crossing the
// Pyodide FFI once per token costs ~130 µs; once per frame it is noise. A flood of chunks is
// read in slices of a few milliseconds, the page running in between.
//
// webllm(): WebLLM's module, imported on the first call instead of with the page: it is 7 MB of
// JavaScript, and the page starts without it (app/browser/webllm.py).
//
// settle(): WebLLM's worker client rejects with a plain string ("TypeError: Failed to fetch"),
// which Pyodide cannot raise; settle() calls the method in JS and turns any outcome into
// {ok, value} or {ok, name, message} (web/outcome.js).

import { describe, settle as outcome } from "./outcome.js";

let webllmModule = null;

export function webllm() {
  webllmModule ??= import("/runtime/web-llm/index.js").catch((error) => {
    webllmModule = null; // offline before it was ever cached: the next call tries again
    throw error;
  });
  return webllmModule;
}

export async function createEngine(...args) {
  return (await webllm()).CreateWebWorkerMLCEngine(...args);
}

export function settle(target, method, ...args) {
  // Called as settle(obj, "name", ...args) so the promise never reaches Python: Pyodide wraps a
  // returned promise at once and cannot raise a rejection whose reason is not an Error.
  return outcome(() => target[method](...args));
}

const SLICE_MS = 8;

const nextFrame = () =>
  new Promise((resolve) => {
    if (typeof requestAnimationFrame === "function" && document.visibilityState === "visible") {
      requestAnimationFrame(() => resolve());
    } else {
      setTimeout(resolve, 16);
    }
  });

export function pump(stream) {
  const parts = [];
  let done = false;
  let usage = null;
  let finish = null;
  let error = null;
  let wake = null;
  const notify = () => {
    if (wake) {
      const resolve = wake;
      wake = null;
      resolve();
    }
  };
  (async () => {
    try {
      let slice = performance.now();
      for await (const chunk of stream) {
        if (chunk.usage) usage = chunk.usage;
        for (const choice of chunk.choices || []) {
          const text = choice.delta && choice.delta.content;
          if (text) parts.push(text);
          if (choice.finish_reason) finish = choice.finish_reason;
        }
        notify();
        // Chunks that arrive faster than the page can breathe (a flood of cached or tiny
        // tokens) are read in slices, so the loop never holds the main thread for long.
        if (performance.now() - slice > SLICE_MS) {
          await new Promise((resolve) => setTimeout(resolve, 0));
          slice = performance.now();
        }
      }
    } catch (caught) {
      error = describe(caught);
    } finally {
      done = true;
      notify();
    }
  })();
  let first = true;
  return {
    // {text, done, finish, usage, error}: `text` joins every delta since the previous call.
    // The first text goes at once (time to first token is what the user waits on); after
    // that, at most one batch per frame.
    async take() {
      if (!parts.length && !done) await new Promise((resolve) => (wake = resolve));
      if (!done && !first) await nextFrame();
      first = false;
      const text = parts.join("");
      parts.length = 0;
      return { text, done: done && !parts.length, finish, usage, error };
    },
  };
}
