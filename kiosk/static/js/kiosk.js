// Small, ours. Progressive enhancement only: every screen works without it.
(function () {
  "use strict";

  // --- chat: keep the newest bubble in view and focused ----------------------------------------
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "thread") {
      var previous = document.getElementById("latest");
      if (previous) { previous.removeAttribute("id"); previous.removeAttribute("tabindex"); }
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "thread") {
      var latest = document.getElementById("latest");
      if (latest) {
        // "nearest": the whole bubble when it fits, otherwise its beginning.
        var reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
        latest.scrollIntoView({ block: "nearest", behavior: reduce ? "auto" : "smooth" });
        latest.focus({ preventScroll: true });
      }
    }
    var summary = target && target.querySelector && target.querySelector(".k-error-summary");
    if (summary) summary.focus();
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (event.detail.successful && form && form.hasAttribute && form.hasAttribute("data-clear-on-send")) {
      form.reset();
    }
  });
  // A request that failed (server error, lost connection, expired form) must not look like a
  // button that does nothing: say so, and point to staff.
  function showError() {
    var box = document.getElementById("live-error");
    if (box) box.textContent = box.getAttribute("data-message");
  }
  document.addEventListener("htmx:responseError", showError);
  document.addEventListener("htmx:sendError", showError);
  document.addEventListener("htmx:beforeRequest", function () {
    var box = document.getElementById("live-error");
    if (box) box.textContent = "";
  });

  window.addEventListener("load", function () {
    var latest = document.getElementById("latest");
    if (latest) latest.scrollIntoView({ block: "nearest" });
  });

  // --- on-screen keyboards ------------------------------------------------------------------
  var VOICED = { "か": "が", "き": "ぎ", "く": "ぐ", "け": "げ", "こ": "ご", "さ": "ざ", "し": "じ", "す": "ず",
    "せ": "ぜ", "そ": "ぞ", "た": "だ", "ち": "ぢ", "つ": "づ", "て": "で", "と": "ど", "は": "ば", "ひ": "び",
    "ふ": "ぶ", "へ": "べ", "ほ": "ぼ", "う": "ゔ" };
  var SEMI_VOICED = { "は": "ぱ", "ひ": "ぴ", "ふ": "ぷ", "へ": "ぺ", "ほ": "ぽ" };
  var SMALL = { "あ": "ぁ", "い": "ぃ", "う": "ぅ", "え": "ぇ", "お": "ぉ", "つ": "っ", "や": "ゃ", "ゆ": "ゅ",
    "よ": "ょ", "わ": "ゎ" };

  function invert(map) {
    var out = {};
    Object.keys(map).forEach(function (k) { out[map[k]] = k; });
    return out;
  }
  // Pressing ゛ again (or ゜ on a voiced kana) cycles back, as phone keyboards do.
  var UNVOICED = invert(VOICED), UNSEMI = invert(SEMI_VOICED), UNSMALL = invert(SMALL);

  function convertLast(input, table, undo) {
    var value = input.value;
    if (!value) return;
    var last = value.slice(-1);
    var base = (undo && undo[last]) || last;
    var next = table[base] && table[base] !== last ? table[base] : base;
    input.value = value.slice(0, -1) + next;
  }

  function press(input, button) {
    var insert = button.getAttribute("data-insert");
    var action = button.getAttribute("data-action");
    if (insert !== null) {
      if (input.maxLength > 0 && input.value.length >= input.maxLength) return;
      input.value += insert;
    } else if (action === "backspace") {
      input.value = input.value.slice(0, -1);
    } else if (action === "clear") {
      input.value = "";
    } else if (action === "dakuten") {
      convertLast(input, VOICED, Object.assign({}, UNVOICED, UNSEMI));
    } else if (action === "handakuten") {
      convertLast(input, SEMI_VOICED, Object.assign({}, UNSEMI, UNVOICED));
    } else if (action === "small") {
      convertLast(input, SMALL, UNSMALL);
    }
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function setUpKeyboard(keyboard) {
    var input = document.getElementById(keyboard.getAttribute("data-keyboard-for"));
    if (!input || keyboard.hasAttribute("data-ready")) return;  // htmx:load also fires on the body
    keyboard.setAttribute("data-ready", "");
    keyboard.hidden = false;  // only with JavaScript: the keys need it
    var toggle = keyboard.querySelector(".k-keyboard__toggle");
    var panel = keyboard.querySelector(".k-keyboard__panel");
    var showText = toggle.textContent;
    toggle.addEventListener("click", function () {
      var open = panel.hidden;
      panel.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      toggle.textContent = open ? toggle.getAttribute("data-hide-text") || showText : showText;
    });
    keyboard.querySelectorAll("[data-layout]").forEach(function (tab) {
      tab.addEventListener("click", function () {
        var layout = tab.getAttribute("data-layout");
        keyboard.querySelectorAll("[data-layout]").forEach(function (other) {
          other.setAttribute("aria-pressed", String(other === tab));
        });
        keyboard.querySelectorAll("[data-layout-panel]").forEach(function (section) {
          section.hidden = section.getAttribute("data-layout-panel") !== layout;
        });
      });
    });
    keyboard.addEventListener("click", function (event) {
      var key = event.target.closest(".k-key");
      if (key && key.tagName === "BUTTON") press(input, key);
    });
  }

  function setUpKeyboards(root) {
    root.querySelectorAll("[data-keyboard-for]").forEach(setUpKeyboard);
  }

  // --- idle timeout ---------------------------------------------------------------------------
  // After data-idle-seconds without a touch or key, warn with a countdown and one large
  // 「続ける」 button (pressable any number of times); at zero, wipe the session.
  function setUpIdleTimeout() {
    var body = document.body;
    var idleSeconds = parseFloat(body.getAttribute("data-idle-seconds"));
    var warningSeconds = parseFloat(body.getAttribute("data-idle-warning-seconds"));
    var dialog = document.getElementById("idle-dialog");
    var form = document.getElementById("timeout-form");
    if (!idleSeconds || !dialog || !form) return;
    var count = dialog.querySelector("[data-idle-count]");
    var keepaliveUrl = body.getAttribute("data-keepalive-url");
    var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
    var idleTimer = null, countdown = null, remaining = 0, lastPing = Date.now();

    function keepalive() {
      lastPing = Date.now();
      if (keepaliveUrl && window.fetch) {
        fetch(keepaliveUrl, { method: "POST", headers: { "X-CSRFToken": csrf }, credentials: "same-origin" });
      }
    }
    function expire() {
      clearInterval(countdown);
      document.dispatchEvent(new CustomEvent("kiosk:timeout"));
      form.submit();
    }
    function warn() {
      remaining = warningSeconds;
      count.textContent = String(remaining);
      if (!dialog.open) dialog.showModal();
      countdown = setInterval(function () {
        remaining -= 1;
        count.textContent = String(Math.max(remaining, 0));
        if (remaining <= 0) expire();
      }, 1000);
    }
    function restart() {
      clearTimeout(idleTimer);
      clearInterval(countdown);
      idleTimer = setTimeout(warn, idleSeconds * 1000);
      if (Date.now() - lastPing > 60000) keepalive();
    }
    ["pointerdown", "keydown", "touchstart", "wheel"].forEach(function (name) {
      document.addEventListener(name, function () { if (!dialog.open) restart(); }, { passive: true });
    });
    dialog.querySelector("[data-idle-continue]").addEventListener("click", function () {
      dialog.close();
      keepalive();
      restart();
    });
    dialog.addEventListener("cancel", function (event) { event.preventDefault(); });  // Esc is not "continue"
    document.addEventListener("htmx:afterRequest", function (event) {
      // The call-status poll is not the resident's activity: it must not hold back the keepalive.
      var elt = event.detail.elt;
      if (!(elt && elt.hasAttribute && elt.hasAttribute("data-help-poll"))) lastPing = Date.now();
    });
    restart();
  }

  // --- 「読み上げ」 ---------------------------------------------------------------------------
  // Japanese buttons carry the server's audio URL (Open JTalk, cached); other languages carry
  // the text and use the browser's voice, shown only when the browser has one for the language.
  // One thing plays at a time; the next tap anywhere else, or the timeout, stops it.
  var speaking = null;  // { button, audio | utterance }

  function speechVolume() {
    var range = document.querySelector("[data-speech-volume]");
    return range ? Math.max(0, Math.min(1, parseInt(range.value, 10) / 100)) : 0.8;
  }
  function stopSpeech() {
    if (!speaking) return;
    if (speaking.audio) { speaking.audio.pause(); speaking.audio.removeAttribute("src"); }
    if (speaking.utterance && window.speechSynthesis) window.speechSynthesis.cancel();
    speaking.button.setAttribute("aria-pressed", "false");
    speaking = null;
  }
  function voiceFor(lang) {
    if (!window.speechSynthesis) return null;
    var wanted = lang.toLowerCase(), primary = wanted.split("-")[0];
    var voices = window.speechSynthesis.getVoices();
    return voices.filter(function (v) { return v.lang.toLowerCase().replace("_", "-") === wanted; })[0] ||
      voices.filter(function (v) { return v.lang.toLowerCase().split(/[-_]/)[0] === primary; })[0] || null;
  }
  function speak(button) {
    var wasPlaying = speaking && speaking.button === button;
    stopSpeech();
    if (wasPlaying) return;  // a second tap on the same button stops it
    var src = button.getAttribute("data-speak-src");
    speaking = { button: button };
    button.setAttribute("aria-pressed", "true");
    var done = function () { if (speaking && speaking.button === button) stopSpeech(); };
    if (src) {
      var audio = new Audio(src);
      audio.volume = speechVolume();
      audio.addEventListener("ended", done);
      audio.addEventListener("error", done);
      speaking.audio = audio;
      audio.play().catch(done);
    } else {
      var utterance = new SpeechSynthesisUtterance(button.getAttribute("data-speak-text"));
      utterance.lang = button.getAttribute("data-speak-lang");
      utterance.voice = voiceFor(utterance.lang);
      utterance.volume = speechVolume();
      utterance.onend = done;
      utterance.onerror = done;
      speaking.utterance = utterance;
      window.speechSynthesis.speak(utterance);
    }
  }
  function showBrowserVoices(root) {
    root.querySelectorAll("[data-speak-text]").forEach(function (button) {
      button.hidden = !voiceFor(button.getAttribute("data-speak-lang"));
    });
  }
  function setUpSpeech() {
    var range = document.querySelector("[data-speech-volume]");
    if (range) {
      // The volume is the same on every screen of one visit; 「最初から」 clears it (Clear-Site-Data).
      var kept = window.sessionStorage && sessionStorage.getItem("kiosk-volume");
      if (kept !== null && kept !== undefined) range.value = kept;
      range.addEventListener("input", function () {
        if (window.sessionStorage) sessionStorage.setItem("kiosk-volume", range.value);
        if (speaking && speaking.audio) speaking.audio.volume = speechVolume();
      });
    }
    showBrowserVoices(document);
    if (window.speechSynthesis) {
      window.speechSynthesis.addEventListener("voiceschanged", function () { showBrowserVoices(document); });
    }
    document.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest(".k-speak");
      if (button) speak(button);
    });
    // The next tap stops the reading, except on the button itself (its click decides) or the volume.
    document.addEventListener("pointerdown", function (event) {
      var target = event.target;
      if (!speaking || !target.closest) return;
      if (target.closest(".k-speak") === speaking.button || target.closest("[data-speech-volume]")) return;
      stopSpeech();
    }, true);
    document.addEventListener("keydown", function (event) {
      if (speaking && event.key === "Escape") stopSpeech();
    });
    document.addEventListener("kiosk:timeout", stopSpeech);
    window.addEventListener("pagehide", stopSpeech);
  }
  // For tests and for other scripts: what is playing, and its audio element.
  window.kioskSpeech = {
    stop: stopSpeech,
    playing: function () { return speaking ? speaking.button : null; },
    audio: function () { return speaking && speaking.audio ? speaking.audio : null; }
  };

  // --- staff: reading a handoff QR code with the tablet camera ---------------------------------
  // Uses the browser's BarcodeDetector where it exists; elsewhere the button stays hidden and
  // the code is typed.
  function setUpScanner() {
    var form = document.querySelector("[data-scan-form]");
    if (!form || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
    var button = form.querySelector("[data-scan]");
    var video = form.querySelector("[data-scan-video]");
    var input = form.querySelector("input[name=code]");
    button.hidden = false;
    button.addEventListener("click", function () {
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        video.play();
        var timer = setInterval(function () {
          detector.detect(video).then(function (codes) {
            if (!codes.length) return;
            clearInterval(timer);
            stream.getTracks().forEach(function (track) { track.stop(); });
            video.hidden = true;
            // QR 2 holds the public page's address: the code is its last part.
            var value = codes[0].rawValue;
            input.value = value.indexOf("/h/") >= 0 ? value.split("/h/").pop() : value;
            form.submit();
          });
        }, 300);
      });
    });
  }

  // --- staff: the idle sign-out warning --------------------------------------------------------
  // The server says how long the session has left (data-staff-session-seconds on the page, the
  // X-Staff-Session-Seconds header on every answer). Some time before the end a dialog offers
  // 「続ける」 (a real request, so it counts as activity); typing pings too, at most every so
  // often. At the end the page goes to the sign-in page, after its draft is safely kept.
  var STAFF_SIGN_OUT_MARGIN_MS = 1500;  // the server rounds down: be sure it has ended first

  function setUpStaffIdleWarning() {
    var body = document.body;
    var left = parseFloat(body.getAttribute("data-staff-session-seconds"));
    var dialog = document.getElementById("staff-idle-dialog");
    if (isNaN(left) || !dialog) return;
    var warningMs = parseFloat(body.getAttribute("data-staff-idle-warning-seconds")) * 1000;
    var keepaliveUrl = body.getAttribute("data-staff-keepalive-url");
    var signinUrl = body.getAttribute("data-staff-signin-url");
    var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
    var count = dialog.querySelector("[data-staff-idle-count]");
    var pingEveryMs = Math.min(60, Math.max(1, left / 4)) * 1000;
    var limit = left;
    var deadline = Date.now() + left * 1000, lastPing = Date.now(), continuing = false, ended = false, timer;

    function heard(seconds) {
      if (!isNaN(seconds)) deadline = Date.now() + seconds * 1000;
    }
    function keepalive() {
      lastPing = Date.now();
      if (!window.fetch) return Promise.resolve();
      return fetch(keepaliveUrl, { method: "POST", headers: { "X-CSRFToken": csrf }, credentials: "same-origin",
        redirect: "manual" }).then(function (response) {
        if (response.status === 204) heard(parseFloat(response.headers.get("X-Staff-Session-Seconds")));
        else if (response.type === "opaqueredirect") signOut();  // to sign-in: the session has ended
      }, function () {
        // No network (an outreach venue): the tablet is in use, so the screen's idle limit starts
        // again here; the server's own session still ends on time, and the sync asks to sign in.
        if (body.hasAttribute("data-staff-offline-sw")) heard(limit);
      });
    }
    function signOut() {
      if (ended) return;
      ended = true;
      clearInterval(timer);
      if (dialog.open) dialog.close();
      keepStaffDraftsAtSignOut().then(function () { window.location.assign(signinUrl); });
    }
    function tick() {
      var remaining = deadline - Date.now();
      if (remaining <= -STAFF_SIGN_OUT_MARGIN_MS) { signOut(); return; }
      if (remaining <= warningMs && !continuing) {
        count.textContent = String(Math.max(Math.ceil(remaining / 1000), 0));
        if (!dialog.open) dialog.showModal();
      } else if (remaining > warningMs && dialog.open) {
        dialog.close();  // another request (another tab, an action) gave the session more time
      }
    }
    ["pointerdown", "keydown", "input"].forEach(function (name) {
      document.addEventListener(name, function () {
        if (!dialog.open && !ended && Date.now() - lastPing > pingEveryMs) keepalive();
      }, { passive: true });
    });
    dialog.querySelector("[data-staff-idle-continue]").addEventListener("click", function () {
      continuing = true;
      dialog.close();
      keepalive().then(function () { continuing = false; });
    });
    dialog.addEventListener("cancel", function (event) { event.preventDefault(); });  // Esc is not 「続ける」
    document.addEventListener("htmx:afterRequest", function (event) {
      var xhr = event.detail.xhr;
      if (xhr && xhr.getResponseHeader) heard(parseFloat(xhr.getResponseHeader("X-Staff-Session-Seconds")));
    });
    timer = setInterval(tick, 500);  // an interval, not one long timeout: a tablet that slept catches up
  }

  // --- staff: drafts of a form kept on the tablet ----------------------------------------------
  // A form marked data-staff-draft is kept, as it is typed, in this tab's sessionStorage (gone when
  // the tab closes), encrypted (AES-GCM) with the key the server gives this person's pages: after
  // an idle sign-out nobody can read it, and the same person signing in again gets it back. Where
  // the browser has no WebCrypto (a page not served over HTTPS or from localhost) it is kept
  // unencrypted in the tab. A draft never holds a 個人番号, is dropped once its form is saved
  // (data-staff-saved-forms), on 「やめる」 and on sign-out, and after a day.
  var DRAFT_PREFIX = "kiosk-staff-draft:";
  var DRAFT_MAX_AGE_MS = 24 * 60 * 60 * 1000;
  var draftSaving = Promise.resolve();  // writes one after another; sign-out waits for the last
  var forgetDraftKey = function () {};

  function draftStorage() {
    try { return window.sessionStorage; } catch (error) { return null; }  // storage switched off
  }
  function draftNames(owner) {
    var storage = draftStorage(), names = [];
    if (!storage) return names;
    for (var i = 0; i < storage.length; i++) {
      var name = storage.key(i);
      if (name && name.indexOf(DRAFT_PREFIX + (owner ? owner + ":" : "")) === 0) names.push(name);
    }
    return names;
  }
  function readDraft(name) {
    var storage = draftStorage();
    try { return JSON.parse(storage.getItem(name)); } catch (error) { return null; }
  }

  // Mirrors kiosk.staff.personal_data.find_mynumbers: 12 digits in one group or 4-4-4, with a
  // valid check digit, however typed (full-width, spaces, hyphens). The server refuses them on
  // save anyway; this keeps them out of the tablet's storage.
  var MYNUMBER_SEPARATORS = " \t\n\r\u3000-\u2010\u2011\u2012\u2013\u2014\u2015\u30fc\u2212_.,/\u30fb\u3001\u301c~()\uff08\uff09[]\uff3b\uff3d";
  var FORMAT_CHAR = null, DECIMAL_DIGIT = null;
  try { FORMAT_CHAR = new RegExp("\\p{Cf}", "u"); DECIMAL_DIGIT = new RegExp("\\p{Nd}", "u"); } catch (error) { /* old engine */ }

  function asciiDigits(text) {
    var out = "";
    Array.from(text.normalize("NFKC")).forEach(function (ch) {
      if (FORMAT_CHAR && FORMAT_CHAR.test(ch)) return;
      if (DECIMAL_DIGIT && DECIMAL_DIGIT.test(ch) && !(ch >= "0" && ch <= "9")) {
        var code = ch.codePointAt(0), value = 0;  // digits come in runs of ten from zero
        while (value < 9 && DECIMAL_DIGIT.test(String.fromCodePoint(code - value - 1))) value += 1;
        ch = String(value);
      }
      out += ch;
    });
    return out;
  }
  function mynumberCheckDigit(firstEleven) {
    var total = 0;
    for (var n = 1; n <= 11; n++) total += Number(firstEleven[11 - n]) * (n <= 6 ? n + 1 : n - 5);
    var remainder = total % 11;
    return remainder <= 1 ? 0 : 11 - remainder;
  }
  function digitRuns(text) {
    var runs = [], groups = [], current = null;
    for (var i = 0; i <= text.length; i++) {
      var ch = i < text.length ? text[i] : "\u0000";
      if (ch >= "0" && ch <= "9") {
        if (!current) current = { digits: "", start: i };
        current.digits += ch;
        continue;
      }
      if (current) { current.end = i; groups.push(current); current = null; }
      if (groups.length && MYNUMBER_SEPARATORS.indexOf(ch) >= 0) continue;
      if (groups.length) runs.push(groups);
      groups = [];
    }
    return runs;
  }
  function withoutMyNumbers(text) {
    // Staff pages load the faithful port of the server's guard (personal-data.js): use it.
    if (window.KioskPersonalData) return window.KioskPersonalData.removeMyNumbers(text);
    var normalised = asciiDigits(text), cuts = [];
    digitRuns(normalised).forEach(function (groups) {
      for (var start = 0; start < groups.length; start++) {
        [[12], [4, 4, 4]].forEach(function (grouping) {
          var span = groups.slice(start, start + grouping.length);
          if (span.map(function (g) { return g.digits.length; }).join() !== grouping.join()) return;
          var digits = span.map(function (g) { return g.digits; }).join("");
          if (mynumberCheckDigit(digits.slice(0, 11)) === Number(digits[11])) {
            cuts.push([span[0].start, span[span.length - 1].end]);
          }
        });
      }
    });
    if (!cuts.length) return text;
    cuts.sort(function (a, b) { return a[0] - b[0]; });
    var kept = "", from = 0;
    cuts.forEach(function (cut) {  // windows may overlap (4-4-4-4 holding two numbers)
      if (cut[0] > from) kept += normalised.slice(from, cut[0]);
      from = Math.max(from, cut[1]);
    });
    return kept + normalised.slice(from);
  }

  function toBase64(bytes) {
    var text = "";
    new Uint8Array(bytes).forEach(function (b) { text += String.fromCharCode(b); });
    return btoa(text);
  }
  function fromBase64(text) {
    var binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    return Uint8Array.from(binary, function (ch) { return ch.charCodeAt(0); });
  }

  function formEntries(form) {
    var entries = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token" && typeof value === "string") entries.push([name, withoutMyNumbers(value)]);
    });
    return entries;
  }
  function fillForm(form, entries) {
    var byName = {};
    entries.forEach(function (entry) { (byName[entry[0]] = byName[entry[0]] || []).push(entry[1]); });
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.name === "csrf_token" || field.type === "submit" || field.type === "button") return;
      var values = byName[field.name] || [];
      if (field.type === "checkbox" || field.type === "radio") field.checked = values.indexOf(field.value) >= 0;
      else if (values.length) field.value = values.shift();
      else if (field.type !== "hidden") field.value = "";
    });
  }

  function setUpStaffDrafts() {
    var body = document.body;
    var saved = (body.getAttribute("data-staff-saved-forms") || "").split(" ").filter(Boolean);
    dropOldStaffDrafts(saved);
    var kept = document.querySelector("[data-staff-draft-kept]");
    if (kept && draftNames().length) kept.hidden = false;  // the sign-in page: nothing was lost
    document.querySelectorAll("form[data-staff-sign-out]").forEach(function (form) {
      form.addEventListener("submit", function () {
        var storage = draftStorage();
        draftNames(form.getAttribute("data-draft-owner")).forEach(function (name) { storage.removeItem(name); });
      });
    });
    var form = document.querySelector("form[data-staff-draft]");
    var storage = draftStorage();
    if (!form || !storage) return;
    var owner = form.getAttribute("data-draft-owner");
    var rawKey = form.getAttribute("data-draft-key");
    form.removeAttribute("data-draft-key");  // in this script's hands only, not in the page
    var action = new URL(form.action, window.location.href);
    var name = DRAFT_PREFIX + owner + ":" + action.pathname + action.search;
    var subtle = window.crypto && window.crypto.subtle;
    var key = subtle ? subtle.importKey("raw", fromBase64(rawKey), "AES-GCM", false, ["encrypt", "decrypt"]) : null;
    var tokenField = form.querySelector("input[name=form_token]");
    var label = new TextEncoder().encode(name);  // a draft cannot be moved to another form's name
    forgetDraftKey = function () { key = null; };

    function save() {
      var entries = formEntries(form), token = tokenField ? tokenField.value : "";
      draftSaving = draftSaving.then(function () {
        if (!subtle) return storage.setItem(name, JSON.stringify({ token: token, at: Date.now(), plain: entries }));
        if (!key) return null;  // signed out: nothing more is written
        var iv = window.crypto.getRandomValues(new Uint8Array(12));
        return key.then(function (cryptoKey) {
          return subtle.encrypt({ name: "AES-GCM", iv: iv, additionalData: label }, cryptoKey,
            new TextEncoder().encode(JSON.stringify(entries)));
        }).then(function (sealed) {
          storage.setItem(name, JSON.stringify({ token: token, at: Date.now(), iv: toBase64(iv), data: toBase64(sealed) }));
        });
      }).catch(function () { /* a full storage or a refused key: the form itself still works */ });
      return draftSaving;
    }
    function open(draft) {
      if (draft.plain) return Promise.resolve(draft.plain);
      if (!key) return Promise.reject(new Error("no key"));
      return key.then(function (cryptoKey) {
        return subtle.decrypt({ name: "AES-GCM", iv: fromBase64(draft.iv), additionalData: label }, cryptoKey,
          fromBase64(draft.data));
      }).then(function (plain) { return JSON.parse(new TextDecoder().decode(plain)); });
    }

    var draft = readDraft(name);
    // The same token as this page's form: the server showed the posted form again (an error to
    // fix), so what is on the page is the draft already.
    if (draft && (!tokenField || draft.token !== tokenField.value)) {
      open(draft).then(function (entries) {
        fillForm(form, entries);
        var status = document.querySelector("[data-staff-draft-restored]");
        if (status) {
          var notice = document.createElement("p");
          notice.className = "k-notice k-notice--info";
          notice.textContent = status.getAttribute("data-staff-draft-restored");
          status.appendChild(notice);
        }
      }, function () { /* another person's key, or a sign-out since: unreadable, left to expire */ });
    }

    form.addEventListener("input", save);
    form.addEventListener("change", save);
    document.querySelectorAll("[data-staff-draft-discard]").forEach(function (link) {
      link.addEventListener("click", function () { storage.removeItem(name); });
    });
    // Kept before it is sent: if the session has ended meanwhile, the answer is the sign-in page
    // and the draft comes back after it. A second tap while the first is on its way does nothing.
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (form.getAttribute("data-sending")) return;
      form.setAttribute("data-sending", "1");
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
      save().then(function () { HTMLFormElement.prototype.submit.call(form); });
    });
    window.addEventListener("pageshow", function (event) {
      if (!event.persisted) return;  // back to this page from the history: it may be sent again
      form.removeAttribute("data-sending");
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.removeAttribute("aria-disabled"); });
    });
  }

  function dropOldStaffDrafts(savedTokens) {
    var storage = draftStorage();
    draftNames().forEach(function (name) {
      var draft = readDraft(name);
      if (!draft || savedTokens.indexOf(draft.token) >= 0 || !(Date.now() - draft.at < DRAFT_MAX_AGE_MS)) {
        storage.removeItem(name);
      }
    });
  }
  function keepStaffDraftsAtSignOut() {
    return draftSaving.then(function () { forgetDraftKey(); });
  }

  // Forms that must be sent once (printing a sheet): a second tap while the first is on its way
  // is ignored.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-once")) return;
    if (form.getAttribute("data-sent")) { event.preventDefault(); return; }
    form.setAttribute("data-sent", "1");
    form.querySelectorAll("button").forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
  });

  document.addEventListener("DOMContentLoaded", function () {
    setUpScanner();
    setUpKeyboards(document);
    setUpIdleTimeout();
    setUpStaffDrafts();
    setUpStaffIdleWarning();
    setUpSpeech();
  });
  document.addEventListener("htmx:load", function (event) {
    setUpKeyboards(event.detail.elt);
    showBrowserVoices(event.detail.elt);
  });
})();
