// fetch for the Python side (app/browser/http.py), same origin, with a timeout.
//
// request() always resolves: {ok: true, status, headers, body} for any HTTP answer (4xx and
// 5xx included; `body` is the text, headers have lower-case names) or {ok: false, name,
// message} when no answer came (offline, reset, timeout: name "TimeoutError"). Python cannot
// raise a rejection whose reason is not an Error, so none reaches it.

import { failure } from "./outcome.js";

export async function request(method, url, body, headers, timeoutMs) {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    const response = await fetch(url, {
      method,
      headers: headers || {},
      body: body == null ? undefined : body,
      credentials: "same-origin",
      cache: "no-store",
      signal: controller.signal,
    });
    const text = await response.text(); // still under the timeout
    const names = {};
    response.headers.forEach((value, name) => {
      names[name.toLowerCase()] = value;
    });
    return { ok: true, status: response.status, headers: names, body: text };
  } catch (error) {
    if (timedOut) {
      return { ok: false, name: "TimeoutError", message: `No answer within ${timeoutMs} ms.` };
    }
    return failure(error);
  } finally {
    clearTimeout(timer);
  }
}

// cookie(name) -> the cookie's value, or null (document.cookie, so not HttpOnly ones).
export function cookie(name) {
  for (const part of document.cookie.split(";")) {
    const index = part.indexOf("=");
    if (index < 0) continue;
    if (part.slice(0, index).trim() === name) {
      const value = part.slice(index + 1).trim();
      try {
        return decodeURIComponent(value);
      } catch {
        return value;
      }
    }
  }
  return null;
}

// expireCookie(name): drop a (non-HttpOnly) cookie on path "/", so the server sets a fresh one.
export function expireCookie(name) {
  document.cookie = `${name}=; Max-Age=0; path=/; SameSite=Lax`;
}
