// Staff tablets without a network (docs/offline-tablets.md): the service worker, the queue of
// consultations logged offline, and their sync.
//
// - The queue is in IndexedDB, each record encrypted (AES-GCM) with the key the server gives a
//   signed-in person (/staff/offline/session.json; the same person gets the same key back after an
//   idle sign-out, so the queue survives it; another person cannot read it). The key is kept in
//   this tab's sessionStorage while signed in and forgotten on the sign-in page. Without WebCrypto
//   (plain HTTP that is not localhost) records are kept unencrypted, as the drafts are.
// - A record holds only what the form holds, never a 個人番号 (KioskPersonalData refuses it as the
//   server does), with an id made here and the time it was made on the tablet.
// - Sync sends every record not yet acknowledged; once sent a record is locked (it can no longer
//   be removed or changed here) until the server's answer: stored or already stored (removed from
//   the tablet), refused or conflict (kept, shown, and only then removable).
(function () {
  "use strict";

  var DB_NAME = "kiosk-staff-offline";
  var STORE = "records";
  var KEY_ITEM = "kiosk-staff-offline-key";
  var PRECACHED_ITEM = "kiosk-staff-offline-kept-at";
  var PRECACHE_EVERY_MS = 10 * 60 * 1000;
  var BATCH = 100;
  var body = document.body;
  var signedIn = body && body.hasAttribute("data-staff-offline-sw");
  var subtle = window.crypto && window.crypto.subtle;

  function session() {
    try { return window.sessionStorage; } catch (error) { return null; }
  }

  // --- the store -----------------------------------------------------------------------------------
  function openStore() {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: "id" }); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }
  function inStore(mode, work) {
    return openStore().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode), result;
        var request = work(transaction.objectStore(STORE));
        if (request) request.onsuccess = function () { result = request.result; };
        transaction.oncomplete = function () { db.close(); resolve(result); };
        transaction.onerror = function () { db.close(); reject(transaction.error); };
      });
    });
  }
  function allEntries() { return inStore("readonly", function (store) { return store.getAll(); }); }
  function putEntry(entry) { return inStore("readwrite", function (store) { store.put(entry); }); }
  function putEntries(entries) {
    return inStore("readwrite", function (store) { entries.forEach(function (entry) { store.put(entry); }); });
  }
  function deleteEntries(ids) {
    return inStore("readwrite", function (store) { ids.forEach(function (id) { store.delete(id); }); });
  }
  function clearStore() {
    return new Promise(function (resolve) {
      if (!window.indexedDB) { resolve(); return; }
      var request = indexedDB.deleteDatabase(DB_NAME);
      request.onsuccess = request.onerror = request.onblocked = function () { resolve(); };
    });
  }

  // --- the key ---------------------------------------------------------------------------------------
  function fromBase64(text) {
    var binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    return Uint8Array.from(binary, function (ch) { return ch.charCodeAt(0); });
  }
  function toBase64(bytes) {
    var text = "";
    new Uint8Array(bytes).forEach(function (b) { text += String.fromCharCode(b); });
    return btoa(text);
  }
  function storedKey() {
    var storage = session(), raw = storage && storage.getItem(KEY_ITEM);
    if (!raw) return null;
    try { return JSON.parse(raw); } catch (error) { return null; }
  }
  function cryptoKey() {
    var kept = storedKey();
    if (!kept || !subtle) return Promise.resolve(null);
    return subtle.importKey("raw", fromBase64(kept.key), "AES-GCM", false, ["encrypt", "decrypt"]);
  }
  function seal(entry, content) {
    var plain = new TextEncoder().encode(JSON.stringify(content));
    if (!subtle) { entry.plain = content; return Promise.resolve(entry); }
    return cryptoKey().then(function (key) {
      if (!key) throw new Error("signed out");
      var iv = window.crypto.getRandomValues(new Uint8Array(12));
      return subtle.encrypt({ name: "AES-GCM", iv: iv, additionalData: new TextEncoder().encode(entry.id) }, key, plain)
        .then(function (sealed) { entry.iv = toBase64(iv); entry.data = toBase64(sealed); return entry; });
    });
  }
  function open(entry) {
    if (entry.plain) return Promise.resolve(entry.plain);
    return cryptoKey().then(function (key) {
      if (!key) throw new Error("no key");
      return subtle.decrypt({ name: "AES-GCM", iv: fromBase64(entry.iv), additionalData: new TextEncoder().encode(entry.id) },
        key, fromBase64(entry.data));
    }).then(function (plain) { return JSON.parse(new TextDecoder().decode(plain)); });
  }

  function fetchSession() {
    var url = body.getAttribute("data-staff-offline-session");
    return fetch(url, { credentials: "same-origin", cache: "no-store", redirect: "manual" }).then(function (response) {
      if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
        var error = new Error("signed out");
        error.signedOut = true;
        throw error;
      }
      if (!response.ok) throw new Error("session " + response.status);
      return response.json();
    }).then(function (info) {
      var storage = session();
      if (storage) storage.setItem(KEY_ITEM, JSON.stringify({ key: info.key, owner: info.owner }));
      return info;
    });
  }

  // --- the service worker and the pages it keeps ------------------------------------------------------
  function keepPages(force) {
    if (!("serviceWorker" in navigator) || !signedIn) return Promise.resolve();
    var last = Number(window.localStorage.getItem(PRECACHED_ITEM + ":at") || 0);
    return navigator.serviceWorker.register(body.getAttribute("data-staff-offline-sw"), { scope: "/staff/" })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function (registration) {
        if (!force && Date.now() - last < PRECACHE_EVERY_MS) { body.setAttribute("data-offline-kept", "1"); return; }
        return new Promise(function (resolve) {
          var listen = function (event) {
            if (!event.data || (event.data.type !== "precached" && event.data.type !== "precache-failed")) return;
            navigator.serviceWorker.removeEventListener("message", listen);
            if (event.data.type === "precached") {
              window.localStorage.setItem(PRECACHED_ITEM + ":at", String(Date.now()));
              body.setAttribute("data-offline-kept", "1");
            }
            resolve();
          };
          navigator.serviceWorker.addEventListener("message", listen);
          registration.active.postMessage({ type: "precache", url: body.getAttribute("data-staff-offline-precache") });
        });
      }).catch(function () { /* no service worker here: the pages still work online */ });
  }
  function forgetPages() {
    window.localStorage.removeItem(PRECACHED_ITEM + ":at");
    if (!window.caches) return Promise.resolve();
    var worker = navigator.serviceWorker && navigator.serviceWorker.controller;
    var forgotten = !worker ? Promise.resolve() : new Promise(function (resolve) {
      var listen = function (event) {
        if (!event.data || event.data.type !== "forgotten") return;
        navigator.serviceWorker.removeEventListener("message", listen);
        resolve();
      };
      navigator.serviceWorker.addEventListener("message", listen);
      worker.postMessage({ type: "forget" });  // stops a keeping still under way, then deletes
      setTimeout(resolve, 5000);  // a worker that does not answer does not hold the sign-out
    });
    return forgotten.then(function () { return caches.keys(); }).then(function (names) {
      return Promise.all(names.filter(function (name) { return name.indexOf("kiosk-staff-offline-") === 0; })
        .map(function (name) { return caches.delete(name); }));
    });
  }

  // --- checking the form as the server does (kiosk.consultations.form) ---------------------------------
  var HANDOFF_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  function handoffCode(typed) {  // kiosk.handoff.codes.normalise
    var text = typed.normalize("NFKC").toUpperCase().replace(/[\s\-‐‑‒–—―ー−_.]/g, "")
      .replace(/O/g, "0").replace(/[IL]/g, "1");
    if (text.length !== 9 || Array.from(text).some(function (ch) { return HANDOFF_ALPHABET.indexOf(ch) < 0; })) return null;
    var factor = 2, total = 0;
    for (var i = 7; i >= 0; i--) {
      var addend = factor * HANDOFF_ALPHABET.indexOf(text[i]);
      factor = factor === 2 ? 1 : 2;
      total += Math.floor(addend / 32) + addend % 32;
    }
    return HANDOFF_ALPHABET[(32 - total % 32) % 32] === text[8] ? text : null;
  }
  var PHONE = /(?<![0-9])(?:\+81[\s-]?|0)\(?[0-9]{1,4}\)?[\s.-]?[0-9]{1,4}[\s.-]?[0-9]{3,4}(?![0-9])/g;
  var EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/;
  function normalisedDigits(text) {  // personal_data._normalise
    return Array.from(text.normalize("NFKC")).map(function (ch) {
      if (/^\p{Cf}$/u.test(ch)) return "";
      if (/^\p{Nd}$/u.test(ch)) {
        var code = ch.codePointAt(0), value = 0;
        while (value < 9 && /^\p{Nd}$/u.test(String.fromCodePoint(code - value - 1))) value += 1;
        return String(value);
      }
      return ch;
    }).join("");
  }
  function hasContactDetails(text) {
    var normalised = normalisedDigits(text);
    var phones = (normalised.replace(/[ー−‐‑–—]/g, "-").match(PHONE) || []).filter(function (m) {
      var digits = m.replace("+81", "0").replace(/[^0-9]/g, "");
      return digits.length >= 10 && digits.length <= 11;
    });
    return phones.length > 0 || EMAIL.test(normalised);
  }
  function localInput(date) {
    var pad = function (n) { return String(n).padStart(2, "0"); };
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + "T" +
      pad(date.getHours()) + ":" + pad(date.getMinutes());
  }

  function values(entries, name) {
    return entries.filter(function (e) { return e[0] === name; }).map(function (e) { return e[1]; });
  }
  function value(entries, name) { return (values(entries, name)[0] || "").trim(); }

  // Each field's first error, in the form's field order; warnings (contact details) apart.
  function check(entries, checks, form) {
    var m = checks.messages, limits = checks.limits, errors = {}, warnings = {};
    function codesOf(name) {
      return Array.prototype.map.call(form.querySelectorAll('[name="' + name + '"]'), function (input) {
        return input.tagName === "SELECT" ? Array.prototype.map.call(input.options, function (o) { return o.value; }) : [input.value];
      }).reduce(function (all, some) { return all.concat(some); }, []);
    }
    function oneOf(name, message, optional) {
      var chosen = value(entries, name);
      if (optional && !chosen) return;
      if (codesOf(name).indexOf(chosen) < 0 || !chosen) errors[name] = message;
    }
    oneOf("site_id", m.site_id);
    var started = value(entries, "started_at"), moment = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(started) ? new Date(started) : null;
    if (!moment || isNaN(moment) || moment.getFullYear() < 2000 || moment.getFullYear() > 2100) errors.started_at = m.started_at_format;
    else if (moment - Date.now() > limits.future_minutes * 60000) errors.started_at = m.started_at_future;
    else if (Date.now() - moment > limits.past_days * 86400000) errors.started_at = m.started_at_old;
    var minutes = value(entries, "minutes_other") || value(entries, "minutes");
    if (!/^[0-9]{1,12}$/.test(minutes) || Number(minutes) < 1 || Number(minutes) > limits.minutes) errors.minutes = m.minutes;
    ["channel", "age_band", "visit", "language", "device_used", "outcome"].forEach(function (name) { oneOf(name, m[name]); });
    var topics = values(entries, "topics"), distinct = topics.filter(function (t, i) { return topics.indexOf(t) === i; });
    if (topics.length < 1) errors.topics = m.topics_few;
    else if (distinct.length > limits.topics) errors.topics = m.topics_many;
    var handoff = value(entries, "handoff_code");
    if (handoff && handoffCode(handoff) === null) errors.handoff_code = m.handoff_code;
    oneOf("satisfaction", m.satisfaction, true);
    var note = value(entries, "note");
    if (note.length > limits.note) errors.note = m.note_long;
    else if (window.KioskPersonalData.containsMyNumber(values(entries, "note")[0] || "")) errors.note = m.note_mynumber;
    else if (hasContactDetails(values(entries, "note")[0] || "") && value(entries, "confirm_note") !== "1") warnings.note = m.note_contact;
    return { errors: errors, warnings: warnings };
  }

  function showProblems(form, problems) {
    form.querySelectorAll("[data-offline-error]").forEach(function (el) { el.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    var all = Object.assign({}, problems.warnings, problems.errors), names = Object.keys(all);
    if (!names.length) return false;
    var summary = document.createElement("div");
    summary.className = "k-error-summary";
    summary.setAttribute("role", "alert");
    summary.setAttribute("tabindex", "-1");
    summary.setAttribute("data-offline-error", "");
    var list = document.createElement("ul");
    list.className = "k-error-summary__list";
    names.forEach(function (name) {
      var item = document.createElement("li"), link = document.createElement("a");
      link.href = "#f-" + name;
      link.textContent = all[name];
      item.appendChild(link);
      list.appendChild(item);
      var field = document.getElementById("f-" + name);
      if (field) {
        var message = document.createElement("p");
        message.className = problems.errors[name] ? "k-field__error" : "k-field__warning";
        message.setAttribute("data-offline-error", "");
        message.textContent = all[name];
        var container = field.tagName === "FIELDSET" ? field : field.parentNode;
        container.insertBefore(message, field.tagName === "FIELDSET" ? container.querySelector(".k-choices__items") : field);
        (field.tagName === "FIELDSET" ? field.querySelectorAll("input") : [field]).forEach(function (input) {
          input.setAttribute("aria-invalid", "true");
        });
      }
    });
    summary.appendChild(list);
    form.insertBefore(summary, form.firstChild);
    if (problems.warnings.note) {
      var confirm = form.querySelector("[data-offline-confirm]");
      if (confirm) confirm.hidden = false;
    }
    summary.focus();
    return true;
  }

  function summaryOf(form) {  // the chosen codes' labels, for the queue list (nothing typed)
    var picked = function (name) {
      var input = form.querySelector('[name="' + name + '"]:checked');
      var label = input && form.querySelector('label[for="' + input.id + '"]');
      return label ? label.textContent.trim() : "";
    };
    var topics = Array.prototype.map.call(form.querySelectorAll('[name="topics"]:checked'), function (input) {
      var label = form.querySelector('label[for="' + input.id + '"]');
      return label ? label.textContent.trim() : input.value;
    });
    return [topics.join("・"), picked("outcome")].filter(Boolean).join(" / ");
  }

  function newId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return Array.from(window.crypto.getRandomValues(new Uint8Array(16)), function (b) {
      return b.toString(16).padStart(2, "0");
    }).join("");
  }

  function setUpOfflineForm() {
    var form = document.querySelector("form[data-offline-form]");
    if (!form) return;
    var checks = JSON.parse(form.getAttribute("data-offline-checks"));
    var started = form.querySelector('[name="started_at"]');
    var result = document.querySelector("[data-offline-result]");
    var texts = JSON.parse(form.getAttribute("data-offline-texts") || "{}");
    if (started) started.value = localInput(new Date());  // the kept page's time is the sync's
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (form.getAttribute("data-sending")) return;
      var entries = [];
      new FormData(form).forEach(function (v, name) {
        if (name !== "csrf_token" && name !== "form_token" && typeof v === "string") entries.push([name, v]);
      });
      var problems = check(entries, checks, form);
      if (showProblems(form, problems)) return;
      form.setAttribute("data-sending", "1");
      var entry = { id: newId(), made_at: new Date().toISOString(), status: "waiting",
        owner: (storedKey() || {}).owner || "" };
      seal(entry, { fields: entries, summary: summaryOf(form) }).then(putEntry).then(allEntries).then(function (all) {
        form.reset();
        form.querySelectorAll("[data-offline-confirm]").forEach(function (el) { el.hidden = true; });
        if (started) started.value = localInput(new Date());
        result.innerHTML = "";
        var notice = document.createElement("p");
        notice.className = "k-notice k-notice--success";
        notice.textContent = texts.saved.replace("{num}", String(all.length));
        result.appendChild(notice);
        window.scrollTo(0, 0);
      }, function () {
        result.innerHTML = "";
        var notice = document.createElement("p");
        notice.className = "k-notice k-notice--warning";
        notice.textContent = texts.no_key;
        result.appendChild(notice);
      }).then(function () { form.removeAttribute("data-sending"); });
    });
  }

  // --- the queue page and the sync ---------------------------------------------------------------------
  var queueTexts = null;
  function queueSection() { return document.querySelector("[data-offline-queue]"); }

  function renderQueue() {
    var section = queueSection();
    if (!section) return Promise.resolve();
    queueTexts = queueTexts || JSON.parse(section.getAttribute("data-texts"));
    return allEntries().then(function (entries) {
      entries.sort(function (a, b) { return a.made_at < b.made_at ? -1 : 1; });
      var unsent = entries.filter(function (e) { return e.status === "waiting" || e.status === "sending"; });
      section.querySelector("[data-offline-count]").textContent =
        entries.length ? queueTexts.count.replace("{num}", String(unsent.length)) : queueTexts.empty;
      var list = section.querySelector("[data-offline-list]");
      return Promise.all(entries.map(function (entry) {
        return open(entry).then(function (content) { return content.summary; }, function () { return ""; });
      })).then(function (summaries) {
        list.innerHTML = "";
        entries.forEach(function (entry, index) {
          var item = document.createElement("li");
          item.className = "k-offline-queue__item k-offline-queue__item--" + entry.status;
          item.setAttribute("data-offline-record", entry.id);
          item.setAttribute("data-status", entry.status);
          var title = document.createElement("p");
          var strong = document.createElement("strong");
          strong.textContent = queueTexts[entry.status];
          title.appendChild(strong);
          title.appendChild(document.createTextNode(" " + queueTexts.made_at + ": " +
            localInput(new Date(entry.made_at)).replace("T", " ")));
          item.appendChild(title);
          if (summaries[index]) {
            var about = document.createElement("p");
            about.textContent = summaries[index];
            item.appendChild(about);
          }
          (entry.messages || []).forEach(function (text) {
            var problem = document.createElement("p");
            problem.className = "k-field__error";
            problem.textContent = text;
            item.appendChild(problem);
          });
          if (entry.status === "waiting" || entry.status === "refused" || entry.status === "conflict") {
            var remove = document.createElement("button");  // a sent record is locked: not removable
            remove.type = "button";
            remove.className = "k-button k-button--secondary k-button--medium";
            remove.textContent = queueTexts.remove;
            remove.addEventListener("click", function () { deleteEntries([entry.id]).then(renderQueue); });
            item.appendChild(remove);
          }
          list.appendChild(item);
        });
      });
    }).catch(function () { /* no IndexedDB here: nothing queued */ });
  }

  function say(selector, text, kind) {
    var place = document.querySelector(selector);
    if (!place) return;
    place.innerHTML = "";
    if (!text) return;
    var notice = document.createElement("p");
    notice.className = "k-notice k-notice--" + (kind || "info");
    notice.textContent = text;
    place.appendChild(notice);
  }

  var syncing = null;
  // Sends every record not yet acknowledged, in batches; locks each before it leaves. Resolves to
  // { sent, failed, signedOut }.
  function sync() {
    if (syncing) return syncing;
    var outcome = { sent: 0, failed: false, signedOut: false };
    syncing = fetchSession().then(function (info) {
      return allEntries().then(function (entries) {
        var due = entries.filter(function (e) { return e.status === "waiting" || e.status === "sending"; });
        return Promise.all(due.map(function (entry) {
          return open(entry).then(function (content) { return { entry: entry, content: content }; }, function () { return null; });
        })).then(function (opened) {
          opened = opened.filter(Boolean);
          opened.forEach(function (o) { o.entry.status = "sending"; });
          return putEntries(opened.map(function (o) { return o.entry; })).then(function () {
            var batches = [];
            for (var i = 0; i < opened.length; i += BATCH) batches.push(opened.slice(i, i + BATCH));
            return batches.reduce(function (previous, batch) {
              return previous.then(function () { return sendBatch(info, batch, outcome); });
            }, Promise.resolve());
          });
        });
      });
    }).catch(function (error) {
      outcome.failed = true;
      outcome.signedOut = Boolean(error && error.signedOut);
    }).then(function () {
      syncing = null;
      if (queueTexts) {
        if (outcome.signedOut) say("[data-offline-sync-result]", queueTexts.signed_out, "warning");
        else if (outcome.failed) say("[data-offline-sync-result]", queueTexts.failed, "warning");
        else say("[data-offline-sync-result]", queueTexts.sent.replace("{num}", String(outcome.sent)), "success");
      }
      return renderQueue().then(function () { return outcome; });
    });
    return syncing;
  }

  function sendBatch(info, batch, outcome) {
    var payload = { sent_at: new Date().toISOString(), records: batch.map(function (o) {
      return { id: o.entry.id, made_at: o.entry.made_at, fields: o.content.fields };
    }) };
    return fetch(body.getAttribute("data-staff-offline-sync"), {
      method: "POST", credentials: "same-origin", redirect: "manual",
      headers: { "Content-Type": "application/json", "X-CSRFToken": info.csrf }, body: JSON.stringify(payload)
    }).then(function (response) {
      if (response.type === "opaqueredirect") { var e = new Error("signed out"); e.signedOut = true; throw e; }
      if (!response.ok) throw new Error("sync " + response.status);
      return response.json();
    }).then(function (answer) {
      if (answer.clock_message) say("[data-offline-clock]", answer.clock_message, "warning");
      else say("[data-offline-clock]", "");
      var byId = {};
      batch.forEach(function (o) { byId[o.entry.id] = o.entry; });
      var done = [], changed = [];
      answer.results.forEach(function (result) {
        var entry = byId[result.id];
        if (!entry) return;
        if (result.status === "stored" || result.status === "already-stored") {
          done.push(entry.id);
          outcome.sent += 1;
        } else {
          entry.status = result.status === "conflict" ? "conflict" : "refused";
          entry.messages = result.message ? [result.message] : Object.keys(result.errors || {}).map(function (k) {
            return result.errors[k];
          });
          changed.push(entry);
        }
      });
      return putEntries(changed).then(function () { return deleteEntries(done); });
    });
  }

  function setUpQueuePage() {
    var section = queueSection();
    if (!section) return;
    var network = document.querySelector("[data-offline-network]");
    function showNetwork() {
      if (network) network.textContent = network.getAttribute(navigator.onLine ? "data-online" : "data-offline");
    }
    showNetwork();
    window.addEventListener("offline", showNetwork);
    window.addEventListener("online", showNetwork);
    section.querySelector("[data-offline-sync]").addEventListener("click", function () { sync(); });
    renderQueue();
  }

  // --- sign-out: nothing stays on the tablet ---------------------------------------------------------
  function setUpSignOut() {
    document.querySelectorAll("form[data-staff-sign-out]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.getAttribute("data-offline-cleared")) return;
        event.preventDefault();
        var leave = function () {
          form.setAttribute("data-offline-cleared", "1");
          var storage = session();
          if (storage) storage.removeItem(KEY_ITEM);
          Promise.all([clearStore(), forgetPages()]).then(function () {
            HTMLFormElement.prototype.submit.call(form);
          });
        };
        unsentCount().then(function (count) {
          if (!count) return leave();
          return sync().then(unsentCount).then(function (left) {
            var question = (form.getAttribute("data-offline-unsent") || "").replace("{num}", String(left));
            if (!left || window.confirm(question)) leave();
          });
        }, leave);
      });
    });
  }
  function unsentCount() {
    return allEntries().then(function (entries) {
      return entries.filter(function (e) { return e.status === "waiting" || e.status === "sending"; }).length;
    }, function () { return 0; });
  }

  function setUpSealFreeFilter() {
    document.querySelectorAll("[data-offline-filter]").forEach(function (input) {
      var rows = document.querySelector(input.getAttribute("data-offline-filter"));
      if (!rows) return;
      input.addEventListener("input", function () {
        var wanted = input.value.trim().normalize("NFKC").toLowerCase();
        Array.prototype.forEach.call(rows.rows, function (row) {
          row.hidden = Boolean(wanted) && row.textContent.normalize("NFKC").toLowerCase().indexOf(wanted) < 0;
        });
      });
    });
  }

  window.KioskStaffOffline = { sync: sync, entries: allEntries, putEntry: putEntry, check: check };

  document.addEventListener("DOMContentLoaded", function () {
    if (!body) return;
    if (!signedIn) {
      // The sign-in page: the key goes (the queue stays, unreadable until the same person signs in).
      var storage = session();
      if (storage) storage.removeItem(KEY_ITEM);
      // Shown from the kept copy (an idle sign-out offline): its CSRF token is no one's, so when
      // the network is back, a fresh page to sign in on.
      if (!navigator.onLine) window.addEventListener("online", function () { window.location.reload(); });
      return;
    }
    setUpSignOut();
    setUpSealFreeFilter();
    setUpOfflineForm();
    setUpQueuePage();
    if (navigator.onLine) {
      var onQueuePage = Boolean(queueSection());
      fetchSession().then(function () {  // records first (signed in again?), then the pages
        return unsentCount().then(function (count) { if (count) return sync(); });
      }).then(function () {
        return keepPages(onQueuePage);
      }).catch(function () { /* offline after all, or signed out: the kept pages still work */ });
    } else {
      body.setAttribute("data-offline-kept", "1");
    }
    window.addEventListener("online", function () {
      unsentCount().then(function (count) { if (count) sync(); });
    });
  });
})();
