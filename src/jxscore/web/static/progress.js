// While a publication or a re-score renders (the office's round and review pages), poll its status, move its
// progress bar and reload the page when it is done or failed (no inline script: the CSP allows only files).
(function () {
  "use strict";
  var items = document.querySelectorAll("[data-status-url]");
  if (!items.length) { return; }
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
  for (var i = 0; i < items.length; i++) { poll(items[i]); }
})();
