// The office's review page: while a re-score or the announcement renders, follow its progress and reload
// the page when it is finished (no inline script: the CSP allows only files like this one).
(function () {
  "use strict";
  var bars = document.querySelectorAll("[data-status-url]");
  var announcing = document.querySelector("[data-announce]");
  function poll(el) {
    fetch(el.getAttribute("data-status-url"), { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) { return; }
        var bar = el.querySelector("progress"), count = el.querySelector(".count");
        if (bar) { bar.max = s.total || 1; bar.value = s.done; }
        if (count) { count.textContent = s.done + " / " + (s.total || "…"); }
        if (s.status !== "rendering") { window.location.reload(); return; }
        window.setTimeout(function () { poll(el); }, 1500);
      })
      .catch(function () { window.setTimeout(function () { poll(el); }, 5000); });
  }
  for (var i = 0; i < bars.length; i++) { poll(bars[i]); }
  if (announcing) { window.setTimeout(function () { window.location.reload(); }, 3000); }
})();
