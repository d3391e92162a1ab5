// Keeps Berth usable offline: every file the page fetched is cached; the network is
// tried first so a new build is picked up, and the cache answers when it fails.
const CACHE = "berth-v1";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

// Lines typed in the terminal for a program waiting in `read`: the engine's worker asks
// for one with a synchronous request, and the page posts it here. Whichever comes first
// waits for the other.
const typed = [];
const waiting = [];
// Sleeps in progress (each a function that ends it as interrupted), and whether a Ctrl-C
// is waiting for the next sleep.
const sleeping = [];
let interrupted = false;
function answer(resolve, entry) {
  resolve(entry.eof ? new Response(null, { status: 204 }) : new Response(entry.line, { status: 200, headers: { "Content-Type": "text/plain; charset=utf-8" } }));
}
self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "stdin") {
    const resolve = waiting.shift();
    if (resolve) answer(resolve, data);
    else typed.push(data);
  } else if (data.type === "stdin-reset") {
    typed.length = 0;
    while (waiting.length) answer(waiting.shift(), { eof: true });
  } else if (data.type === "interrupt") {
    // Ctrl-C: the sleep in progress ends now (205: interrupted), or else the next one
    // does. One press interrupts once.
    if (sleeping.length) while (sleeping.length) sleeping.shift()();
    else interrupted = true;
  } else if (data.type === "interrupt-clear") {
    interrupted = false;
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.pathname.endsWith("/__berth/sleep")) {
    const ms = Math.min(Number(url.searchParams.get("ms")) || 0, 3600000);
    if (interrupted) {
      interrupted = false;
      event.respondWith(new Response(null, { status: 205 }));
      return;
    }
    event.respondWith(new Promise((resolve) => {
      const cut = () => {
        clearTimeout(timer);
        resolve(new Response(null, { status: 205 }));
      };
      const timer = setTimeout(() => {
        const at = sleeping.indexOf(cut);
        if (at >= 0) sleeping.splice(at, 1);
        resolve(new Response(null, { status: 204 }));
      }, ms);
      sleeping.push(cut);
    }));
    return;
  }
  if (url.pathname.endsWith("/__berth/stdin")) {
    event.respondWith(new Promise((resolve) => {
      const entry = typed.shift();
      if (entry) answer(resolve, entry);
      else waiting.push(resolve);
    }));
    return;
  }
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      })
      .catch(() => caches.match(request).then((hit) => hit || Response.error()))
  );
});
