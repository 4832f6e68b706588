// The what-if page: sliders and numbers → /office/{year}/whatif.json → the ranking table, movers highlighted.
// Plain JavaScript, no inline code (the CSP allows scripts from this file only); text is set with
// textContent, never as HTML.
(function () {
  "use strict";
  var root = document.getElementById("whatif");
  if (!root) { return; }
  var url = root.getAttribute("data-url");
  var version = root.getAttribute("data-version");
  var form = document.getElementById("whatif-form");
  var tbody = document.querySelector("#wi-table tbody");
  var why = document.getElementById("wi-why");
  var problems = document.getElementById("wi-problems");
  var timer = null;
  var seq = 0;

  function inputs(code) {
    return form.querySelectorAll('input[data-code="' + code + '"]');
  }

  function codes() {
    var seen = {}, out = [];
    form.querySelectorAll("input[data-code]").forEach(function (el) {
      var c = el.getAttribute("data-code");
      if (!seen[c]) { seen[c] = true; out.push(c); }
    });
    return out;
  }

  function query() {
    var parts = version ? ["v=" + encodeURIComponent(version)] : [];
    codes().forEach(function (c) {
      var num = form.querySelector('input[type="number"][data-code="' + c + '"]');
      var def = parseFloat(num.getAttribute("data-default"));
      if (num.value.trim() === "" || parseFloat(num.value) !== def) {
        parts.push(encodeURIComponent(c) + "=" + encodeURIComponent(num.value.trim()));
      }
    });
    if (!document.getElementById("wi-rescale").checked) { parts.push("rescale=0"); }
    ["vetoes_off", "caps_off"].forEach(function (kind) {
      var on = [];
      form.querySelectorAll('input.wi-off[data-kind="' + kind + '"]').forEach(function (el) {
        if (el.checked) { on.push(el.value); }
      });
      if (on.length) { parts.push(kind + "=" + encodeURIComponent(on.join(","))); }
    });
    return parts.join("&");
  }

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) { td.className = cls; }
    tr.appendChild(td);
  }

  function signed(x) {
    var s = x.toFixed(2);
    if (s === "-0.00") { s = "0.00"; }
    return x > 0 ? "+" + s : s;
  }

  function show(data) {
    problems.hidden = true;
    document.getElementById("wi-description").textContent = data.description;
    document.getElementById("wi-note").textContent = data.sign_note;
    tbody.textContent = "";
    why.textContent = "";
    data.cities.forEach(function (c) {
      var tr = document.createElement("tr");
      if (c.moved) { tr.className = "moved"; }
      cell(tr, String(c.rank), "num");
      cell(tr, c.city);
      cell(tr, c.base_total.toFixed(2), "num");
      cell(tr, c.total.toFixed(2), "num");
      cell(tr, signed(c.delta), "num");
      cell(tr, c.base_grade);
      cell(tr, c.grade, c.grade !== c.base_grade ? "changed" : "");
      var arrow = c.rank_change > 0 ? " ↑" + c.rank_change : (c.rank_change < 0 ? " ↓" + (-c.rank_change) : "");
      cell(tr, String(c.base_rank) + arrow, "num");
      tbody.appendChild(tr);
      if (c.moved && c.why) {
        var p = document.createElement("p");
        p.className = "why";
        var b = document.createElement("strong");
        b.textContent = c.city + "：";
        p.appendChild(b);
        p.appendChild(document.createTextNode(c.why));
        why.appendChild(p);
      }
    });
    data.weights.forEach(function (w) {
      var span = form.querySelector('[data-final="' + w.code + '"]');
      if (span) {
        span.textContent = Math.abs(w.points - w.baseline_points) >= 0.005 ? "计入 " + w.points.toFixed(2) + " 分" : "";
      }
    });
  }

  function fail(data) {
    var list = (data && data.problems) || [];
    problems.textContent = list.length ? list.map(function (p) { return p.message; }).join("；") : "请求失败，请稍后重试。";
    problems.hidden = false;
  }

  function refresh() {
    var mine = ++seq;
    fetch(url + "?" + query(), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, data: d }; }); })
      .then(function (res) {
        if (mine !== seq) { return; }  // a later request has been sent: its answer wins
        if (res.ok) { show(res.data); } else { fail(res.data); }
      })
      .catch(function () { if (mine === seq) { fail(null); } });
  }

  function later() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(refresh, 60);
  }

  form.addEventListener("input", function (ev) {
    var el = ev.target;
    var code = el.getAttribute && el.getAttribute("data-code");
    if (code) {
      inputs(code).forEach(function (other) { if (other !== el) { other.value = el.value; } });
    }
    later();
  });
  form.addEventListener("change", later);
  form.addEventListener("submit", function (ev) { ev.preventDefault(); refresh(); });
  document.getElementById("wi-reset").addEventListener("click", function () {
    form.querySelectorAll("input[data-code]").forEach(function (el) { el.value = el.getAttribute("data-default"); });
    document.getElementById("wi-rescale").checked = true;
    form.querySelectorAll("input.wi-off").forEach(function (el) { el.checked = false; });
    refresh();
  });
  refresh();
}());
