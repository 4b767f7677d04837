// The 個人番号 guard of kiosk/staff/personal_data.py, ported line for line so that a tablet offline
// refuses exactly what the server refuses (tests/fixtures/mynumber_cases.json runs the same cases
// through both). Keep the two in step: a change there is a change here.
//
// A 12-digit number whose check digit is valid, however typed: any kind of decimal digit, the
// kanji 〇一二三四五六七八九, variation selectors, combining marks and invisible characters
// anywhere, any grouping with any separators. Digits that read as a date, a time, a phone number,
// a postcode or an amount are left out first, unless their separator carries on into more digits.
(function (root) {
  "use strict";

  var KANJI_DIGITS = { "〇": "0", "零": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6",
    "七": "7", "八": "8", "九": "9" };
  var ROUND_ZEROS = "○◯";
  var INVISIBLE = "\u2800\u3164\u115f\u1160\uffa0";
  var DASHES = "ー−ｰ";
  var WAVE_DASHES = "〜〰";
  var MAX_GAP = 3;
  var LINE_BREAKS = "\n\r\u000b\f\u001c\u001d\u001e\u0085\u2028\u2029";
  var MYNUMBER_LENGTH = 12;

  var FORMAT_OR_MARK = /^[\p{Cf}\p{Mn}\p{Me}\p{Mc}]$/u;
  var DECIMAL = /^\p{Nd}$/u;
  var OTHER_DIGIT = /^\p{No}$/u;
  var DASH_PUNCTUATION = /^\p{Pd}$/u;
  var PUNCTUATION_OR_SYMBOL = /^[\p{P}\p{S}]$/u;
  var CURRENCY = /^\p{Sc}$/u;
  // Python's str.isspace(): Unicode white space plus the separators \x1c-\x1f.
  var SPACE = /^[\s\u001c-\u001f\u0085]$/u;

  function ignorable(ch) {
    return INVISIBLE.indexOf(ch) >= 0 || FORMAT_OR_MARK.test(ch);
  }

  // unicodedata.decimal: decimal digits come in runs of ten from zero, so count back to the zero.
  function decimalValue(ch) {
    if (!DECIMAL.test(ch)) return null;
    var code = ch.codePointAt(0), value = 0;
    while (value < 9 && DECIMAL.test(String.fromCodePoint(code - value - 1))) value += 1;
    return value;
  }

  function asDigit(ch, before, after) {
    if (Object.prototype.hasOwnProperty.call(KANJI_DIGITS, ch)) return KANJI_DIGITS[ch];
    if (ROUND_ZEROS.indexOf(ch) >= 0 && (KANJI_DIGITS[before] !== undefined || KANJI_DIGITS[after] !== undefined)) {
      return "0";
    }
    var value = decimalValue(ch);
    if (value === null && OTHER_DIGIT.test(ch)) {
      // unicodedata.digit for digits that are not decimal (a few scripts' own); NFKC made most ASCII.
      var folded = ch.normalize("NFKD").replace(/[^0-9]/g, "");
      if (folded.length === 1) value = Number(folded);
    }
    return value === null ? null : String(value);
  }

  // The text with digits as 0-9, runs of spaces as one " ", dashes as "-", invisible characters
  // gone; origin[i] is where its i-th UTF-16 unit came from in the original.
  function normaliseWithOrigin(text) {
    var chars = Array.from(text), out = [], origin = [], offsets = [], offset = 0;
    chars.forEach(function (ch) { offsets.push(offset); offset += ch.length; });
    chars.forEach(function (raw, index) {
      if (ignorable(raw)) return;
      var before = index ? chars[index - 1] : "", after = index + 1 < chars.length ? chars[index + 1] : "";
      Array.from(raw.normalize("NFKC")).forEach(function (ch) {
        var digit = asDigit(ch, before, after);
        if (digit !== null) ch = digit;
        else if (LINE_BREAKS.indexOf(ch) >= 0) ch = "\n";
        else if (SPACE.test(ch)) ch = " ";
        else if (DASHES.indexOf(ch) >= 0 || (DASH_PUNCTUATION.test(ch) && WAVE_DASHES.indexOf(ch) < 0)) ch = "-";
        if ((ch === " " || ch === "\n") && out.length && out[out.length - 1] === ch) return;
        out.push(ch);
        for (var unit = 0; unit < ch.length; unit++) origin.push(offsets[index]);
      });
    });
    return { text: out.join(""), origin: origin };
  }

  function isSeparator(ch) {
    return ch === " " || ch === "\n" || (PUNCTUATION_OR_SYMBOL.test(ch) && !CURRENCY.test(ch));
  }
  function allSeparators(text) {
    return Array.from(text).every(isSeparator);
  }

  // --- what digits may be instead of a 個人番号 ---------------------------------------------------
  var YEAR = "(?:1[89]|2[01])\\d\\d";
  var MONTH = "(?:0?[1-9]|1[0-2])";
  var DAY = "(?:0?[1-9]|[12]\\d|3[01])";
  var UNITS = "円万億兆千件人名歳回枚個年月日時分秒%‰";

  function structure(pattern, then) {
    return new RegExp("(?<![0-9])(?:" + pattern + ")" + (then === undefined ? "(?![0-9])" : then), "gu");
  }
  var MARKED = [
    structure("[¥$€£] ?\\d+(?:,\\d{3})*(?:\\.\\d+)?"),
    structure("\\d+(?:,\\d{3})*(?:\\.\\d+)? ?(?:[" + UNITS + "]|ドル)", "")
  ];
  var SEPARATED = [
    [structure(YEAR + "([-/.])" + MONTH + "\\1" + DAY), 0, 99],
    [structure(DAY + "([-/.])" + DAY + "\\1" + YEAR), 0, 99],
    [structure(DAY + "/" + DAY), 0, 99],
    [structure("(?:[01]?\\d|2\\d):[0-5]\\d(?::[0-5]\\d)?"), 0, 99],
    [structure("0\\d{1,4}([- .])\\d{1,4}\\1\\d{3,4}"), 10, 11],
    [structure("\\(0\\d{1,4}\\) ?\\d{1,4}[- .]?\\d{3,4}"), 10, 11],
    [structure("0\\d{1,4}\\(\\d{1,4}\\)\\d{3,4}"), 10, 11],
    [structure("0\\d{9,10}"), 10, 11],
    [structure("\\+ ?81[- .]?(?:\\(0\\)[- .]?)?(?:[1-9]\\d{0,3}([- .])\\d{1,4}\\1\\d{3,4}|[1-9]\\d{8,9})"), 11, 13],
    [structure("〒 ?\\d{3}-?\\d{4}"), 7, 7],
    [structure("\\d{3}-\\d{4}"), 7, 7]
  ];

  function neighbourBefore(text, start) {
    var from = Math.max(0, start - MAX_GAP - 1);
    var gap = new RegExp("[0-9]([^0-9]{0," + MAX_GAP + "})$", "u").exec(text.slice(from, start));
    if (gap && allSeparators(gap[1])) return [gap[1], start - gap[1].length - 1];
    return null;
  }
  function neighbourAfter(text, end) {
    var gap = new RegExp("^([^0-9]{0," + MAX_GAP + "})[0-9]", "u").exec(text.slice(end, end + MAX_GAP + 1));
    if (gap && allSeparators(gap[1])) return [gap[1], end + gap[1].length];
    return null;
  }

  function separatedReadings(text) {
    var readings = [];
    SEPARATED.forEach(function (entry) {
      var pattern = entry[0], fewest = entry[1], most = entry[2], position = 0, match;
      while (position <= text.length) {
        pattern.lastIndex = position;
        match = pattern.exec(text);
        if (!match) break;
        position = match.index + 1;  // overlapping readings too
        var digits = (match[0].match(/[0-9]/g) || []).length;
        if (fewest <= digits && digits <= most) {
          var separators = {};
          (match[0].match(/[^0-9]+/g) || []).forEach(function (s) { separators[s] = true; });
          readings.push({ start: match.index, end: match.index + match[0].length, separators: separators,
            firstDigit: match.index + match[0].search(/[0-9]/), digits: digits });
        }
      }
    });
    return readings;
  }

  function structuredSpans(text) {
    var spans = [];
    MARKED.forEach(function (pattern) {
      pattern.lastIndex = 0;
      var match;
      while ((match = pattern.exec(text))) {
        spans.push([match.index, match.index + match[0].length]);
        if (match[0].length === 0) pattern.lastIndex += 1;
      }
    });
    var pending = separatedReadings(text);
    function holds(reading, index) { return reading.start <= index && index < reading.end; }
    function excused(reading, index) {
      if (spans.some(function (s) { return s[0] <= index && index < s[1]; })) return true;
      return pending.some(function (other) {
        return holds(other, index) && (other.end <= reading.start || reading.end <= other.start) &&
          other.digits + reading.digits > MYNUMBER_LENGTH;
      });
    }
    var changed = true;
    while (changed) {
      changed = false;
      pending.slice().forEach(function (reading) {
        if (pending.indexOf(reading) < 0) return;
        var hasSeparators = Object.keys(reading.separators).length > 0;
        var joined = [neighbourBefore(text, reading.firstDigit), neighbourAfter(text, reading.end)].filter(function (n) {
          return n && (reading.separators[n[0]] || !hasSeparators);
        });
        if (joined.every(function (n) { return excused(reading, n[1]); })) {
          spans.push([reading.start, reading.end]);
          pending.splice(pending.indexOf(reading), 1);
          changed = true;
        }
      });
    }
    return spans;
  }

  // --- finding them --------------------------------------------------------------------------------
  function runs(text) {
    var structured = structuredSpans(text), out = [], pattern = /[0-9]+/g, match;
    while ((match = pattern.exec(text))) {
      var start = match.index, end = start + match[0].length;
      var group = { start: start, end: end,
        structured: structured.some(function (s) { return s[0] < end && start < s[1]; }) };
      var last = out.length ? out[out.length - 1] : null, previous = last ? last[last.length - 1] : null;
      var gap = previous ? text.slice(previous.end, start) : null;
      if (gap !== null && gap.length <= MAX_GAP && allSeparators(gap)) last.push(group);
      else out.push([group]);
    }
    return out;
  }

  function checkDigit(firstEleven) {
    var total = 0;
    for (var n = 1; n <= 11; n++) {
      var digit = Number(firstEleven[firstEleven.length - n]);
      total += digit * (n <= 6 ? n + 1 : n - 5);
    }
    var remainder = total % 11;
    return remainder <= 1 ? 0 : 11 - remainder;
  }
  function isValidMyNumber(digits) {
    return /^[0-9]{12}$/.test(digits) && checkDigit(digits.slice(0, 11)) === Number(digits[11]);
  }

  function found(text) {
    var normalised = normaliseWithOrigin(text || ""), result = [];
    if ((normalised.text.match(/[0-9]/g) || []).length < MYNUMBER_LENGTH) return result;
    runs(normalised.text).forEach(function (run) {
      for (var first = 0; first < run.length; first++) {
        var length = 0, last = first;
        while (last < run.length && length < MYNUMBER_LENGTH && !run[last].structured) {
          length += run[last].end - run[last].start;
          last += 1;
        }
        if (length !== MYNUMBER_LENGTH) continue;
        var start = run[first].start, end = run[last - 1].end;
        var digits = normalised.text.slice(start, end).replace(/[^0-9]/g, "");
        if (!isValidMyNumber(digits)) continue;
        // Where it was in the original, with the marks that followed its last digit.
        var original = text, from = normalised.origin[start], lastFrom = normalised.origin[end - 1];
        var to = lastFrom + String.fromCodePoint(original.codePointAt(lastFrom)).length;
        while (to < original.length && ignorable(String.fromCodePoint(original.codePointAt(to)))) {
          to += String.fromCodePoint(original.codePointAt(to)).length;
        }
        result.push({ digits: digits, start: from, end: to });
      }
    });
    return result;
  }

  function findMyNumbers(text) {
    var digits = [];
    found(text).forEach(function (f) { if (digits.indexOf(f.digits) < 0) digits.push(f.digits); });
    return digits;
  }
  function containsMyNumber(text) {
    return Boolean(text) && found(text).length > 0;
  }
  function replaceFound(text, replacement) {
    var spans = found(text).map(function (f) { return [f.start, f.end]; }).sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    var out = "", position = 0;
    spans.forEach(function (span) {
      var start = Math.max(span[0], position);
      out += text.slice(position, start);
      if (start < span[1]) out += replacement;
      position = Math.max(position, span[1]);
    });
    return out + text.slice(position);
  }
  function removeMyNumbers(text, replacement) {
    while (containsMyNumber(text)) text = replaceFound(text, replacement || "");
    return text;
  }

  root.KioskPersonalData = {
    findMyNumbers: findMyNumbers, containsMyNumber: containsMyNumber, removeMyNumbers: removeMyNumbers,
    isValidMyNumber: isValidMyNumber, checkDigit: checkDigit
  };
})(typeof self !== "undefined" ? self : this);
