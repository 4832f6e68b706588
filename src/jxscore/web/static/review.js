// The office's review page while the announcement (公告) renders: reload until it is there (the re-score's
// progress is followed by progress.js; no inline script: the CSP allows only files like this one).
(function () {
  "use strict";
  if (document.querySelector("[data-announce]")) {
    window.setTimeout(function () { window.location.reload(); }, 3000);
  }
})();
