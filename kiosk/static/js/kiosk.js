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
    document.addEventListener("htmx:afterRequest", function () { lastPing = Date.now(); });
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
    setUpSpeech();
  });
  document.addEventListener("htmx:load", function (event) {
    setUpKeyboards(event.detail.elt);
    showBrowserVoices(event.detail.elt);
  });
})();
