// Service worker of the patrol recorder: the app shell opens with no network.
// Pages: network first, the cached copy when offline. Static files: cache first.
// The API is never cached: the page keeps unsent fixes in IndexedDB and retries.
var CACHE = "alley-patrol-v1";
var SHELL = {{ shell|safe }};
var PAGE = {{ page|safe }};

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k !== CACHE; })
        .map(function (k) { return caches.delete(k); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin || url.pathname.indexOf("/api/") === 0) return;
  if (req.mode === "navigate") {
    event.respondWith(
      fetch(req).then(function (res) {
        if (res.ok && !res.redirected) {
          var copy = res.clone();
          caches.open(CACHE).then(function (cache) { cache.put(PAGE, copy); });
        }
        return res;
      }).catch(function () {
        return caches.match(PAGE);
      })
    );
    return;
  }
  event.respondWith(
    caches.match(req).then(function (hit) { return hit || fetch(req); })
  );
});
