// Small, ours. Progressive enhancement only: every page works without it.
(function () {
  "use strict";
  // After an htmx swap, move focus to an error summary so it is read out.
  document.addEventListener("htmx:afterSwap", function (event) {
    var summary = event.detail.target.querySelector(".k-error-summary");
    if (summary) summary.focus();
  });
})();
