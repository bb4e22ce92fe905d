// The visits' Service Worker (served at /member/visits/sw.js, scope /member/visits/): keeps the
// visit form (with its outbox) and its assets, so the form opens without signal once it was
// opened online. Network first: a page online is always fresh, and a sign-in redirect passes.
// The list of visits is not kept: a phone may be shared, and the form holds no visit.
"use strict";
var CACHE = "intake-visits-v2";
var SCOPE = self.registration.scope;
var KEPT = [SCOPE + "new", "/static/app.css", "/static/app.js", "/static/visits.js"].map(function (u) {
  return new URL(u, SCOPE).href;
});

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(KEPT.map(function (url) {
      return fetch(url, { credentials: "same-origin", redirect: "manual" }).then(function (response) {
        return response.ok ? cache.put(url, response) : null;
      }, function () { return null; });
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function fromCache(key) {
  return caches.open(CACHE).then(function (cache) { return cache.match(key, { ignoreSearch: true, ignoreVary: true }); });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  var key = url.origin + url.pathname;
  if (request.method !== "GET" || KEPT.indexOf(key) === -1) { return; }
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && response.type === "basic") {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { return cache.put(key, copy); });
      return response;
    }
    if (response.type === "opaqueredirect" || response.status < 500) { return response; }
    return fromCache(key).then(function (cached) { return cached || response; });
  }, function (error) {
    return fromCache(key).then(function (cached) { if (cached) { return cached; } throw error; });
  }));
});
