// The staff tablets' service worker (served at /staff/sw.js, so its scope is /staff/).
// It keeps the pages listed by /staff/offline/precache.json (the guides, the seal-free list, the
// consultation form, the queue page, the sign-in page) and the assets they use, and answers from
// them when the network does not: network first, the kept copy when there is none. It keeps no
// record and no key: the queue is in IndexedDB, encrypted by staff-offline.js. The pages' caches are
// deleted at sign-out (staff-offline.js).
"use strict";

var CACHE = "kiosk-staff-offline-v1";
var NETWORK_TIMEOUT_MS = 10000;  // a weak network is no network: answer from the kept copy
var generation = 0;  // counts sign-outs: a keeping still under way then stores nothing more
var keeping = Promise.resolve();  // the keeping under way, which a sign-out waits for
var NEVER_KEPT = ["/staff/offline/session.json", "/staff/offline/precache.json", "/staff/offline/sync",
  "/staff/help", "/staff/keepalive", "/staff/logout"];

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("kiosk-staff-offline-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function keepable(response) {
  return response && response.ok && !response.redirected && response.type === "basic";
}

// Every listed page and asset, fetched afresh; a page the server no longer gives (signed out) is
// not kept. Answers the page that asked with when it was done.
function precache(listUrl) {
  var started = generation;
  var put = function (cache, url, response) {
    return started === generation ? cache.put(url, response) : null;
  };
  // Marked, so that keeping the pages does not count as someone using the tablet (the idle sign-out).
  var marked = { credentials: "same-origin", cache: "no-store", headers: { "X-Staff-Offline-Keep": "1" } };
  return fetch(listUrl, marked).then(function (response) {
    if (!keepable(response)) throw new Error("precache list: " + response.status);
    return response.json();
  }).then(function (list) {
    return caches.open(CACHE).then(function (cache) {
      var pages = list.pages.map(function (url) {
        return fetch(url, marked).then(function (response) {
          if (keepable(response)) return put(cache, url, response);
          throw new Error(url + ": " + response.status);
        });
      });
      var assets = list.assets.map(function (url) {
        return fetch(url, { credentials: "same-origin", headers: marked.headers }).then(function (response) {
          if (keepable(response)) return put(cache, url, response);
        });
      });
      // The sign-in page as a signed-out visitor sees it: what an idle sign-out shows offline.
      var signIn = fetch(list.sign_in_page, { credentials: "omit", cache: "no-store" }).then(function (response) {
        if (keepable(response)) return put(cache, list.sign_in_page, response);
      });
      return Promise.all(pages.concat(assets, [signIn])).then(function () {
        if (started !== generation) return caches.delete(CACHE).then(function () { throw new Error("signed out"); });
        return list;
      });
    });
  });
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  var reply = function (message) { if (event.source) event.source.postMessage(message); };
  if (data.type === "precache") {
    keeping = precache(data.url);
    event.waitUntil(keeping.then(function () {
      reply({ type: "precached", at: new Date().toISOString() });
    }, function (error) { reply({ type: "precache-failed", error: String(error) }); }));
  } else if (data.type === "forget") {
    generation += 1;
    event.waitUntil(keeping.catch(function () {}).then(function () { return caches.delete(CACHE); })
      .then(function () { reply({ type: "forgotten" }); }));
  }
});

function withTimeout(promise) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, NETWORK_TIMEOUT_MS);
    promise.then(function (value) { clearTimeout(timer); resolve(value); },
      function (error) { clearTimeout(timer); reject(error); });
  });
}

// Looked up without caches.open, which would make the cache again after a sign-out deleted it.
function kept(request) {
  return caches.match(request, { ignoreSearch: true, cacheName: CACHE });
}

function fallback(request, url) {
  return kept(request).then(function (copy) {
    if (copy || request.mode !== "navigate") return copy || Response.error();
    // A staff page not kept for offline use: the offline start page says what still works.
    return kept(url.pathname.indexOf("/staff/login") === 0 ? "/staff/login" : "/staff/offline/")
      .then(function (page) { return page || Response.error(); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;  // posts (the sync, sign-out) go to the network as they are
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || NEVER_KEPT.indexOf(url.pathname) >= 0) return;
  // Only a page or asset with a kept copy gives up on a slow network; the rest wait for it.
  event.respondWith(kept(request).then(function (copy) {
    var network = fetch(request);
    return (copy ? withTimeout(network) : network).catch(function () { return fallback(request, url); });
  }));
});
