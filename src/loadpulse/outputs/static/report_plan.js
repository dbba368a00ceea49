/* loadpulse plan report: the plan's verdict, its runs side by side and a heading over each run's own
   report (an iframe holding the single-run report). Every text goes through textContent. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("loadpulse-plan").textContent);
  var p = data.plan, runs = data.runs, root = document.getElementById("plan");

  var el = LoadpulseDom.el, add = LoadpulseDom.add, num = LoadpulseDom.num;
  function ms(v) { return LoadpulseDom.ms(v, 3, 1); }
  function pct(v) { return v === null || v === undefined ? "–" : num(100 * v, 2) + " %"; }
  function badge(v) { return el("span", { "class": "badge " + v }, v); }

  // header ---------------------------------------------------------------------------------------------
  var head = add(root, el("header"));
  var h1 = add(head, el("h1", null, "loadpulse plan " + p.name + " "));
  add(h1, badge(p.verdict));
  var ran = runs.filter(function (r) { return r.status !== "SKIPPED" && r.status !== "ERROR"; }).length;
  add(head, el("div", { "class": "muted" },
    p.file + " — started " + p.started_at + ", " + ran + " of " + runs.length + " runs ran, exit " + p.exit_code +
    (p.stopped_by ? ", stopped after " + p.stopped_by + " failed" : "") +
    (p.ended_by === "interrupted" ? ", interrupted" : "")));
  if (p.description) add(head, el("p", null, p.description));

  // comparison -----------------------------------------------------------------------------------------
  add(root, el("h2", null, "Runs side by side"));
  var t = add(root, el("table", { id: "comparison" })), tr = add(add(t, el("thead")), el("tr"));
  ["#", "run", "target", "requests", "req/s", "p50", "p95", "p99", "error rate", "duration", "verdict", "exit"]
    .forEach(function (h) { add(tr, el("th", null, h)); });
  var body = add(t, el("tbody"));
  runs.forEach(function (r) {
    var row = add(body, el("tr", { "data-status": r.status }));
    add(row, el("td", null, r.index));
    var name = add(row, el("td"));
    add(name, el("a", { href: "#run-" + r.index }, r.name));
    [r.target, num(r.requests, 0), num(r.rate, 1), ms(r.p50), ms(r.p95), ms(r.p99), pct(r.error_rate),
     r.duration_s === null ? "–" : num(r.duration_s, 1) + " s"].forEach(function (c) { add(row, el("td", null, c)); });
    add(add(row, el("td")), badge(r.status));
    add(row, el("td", null, r.exit_code === null ? "–" : r.exit_code));
  });
  runs.forEach(function (r) {
    if (r.reason) add(root, el("div", { "class": "warning" }, r.name + ": " + r.reason));
  });

  // one point per run: how latency and throughput moved from one run to the next
  var xs = runs.map(function (r) { return r.index; });
  var names = runs.map(function (r) { return r.name; });
  function pick(key) { return runs.map(function (r) { return r[key] === undefined ? null : r[key]; }); }
  var axes = [{ label: "run", splits: function () { return xs; },
                values: function (u, vals) { return vals.map(function (v) { return names[v - 1] || ""; }); } }, {}];
  // from zero: a run's figures are read against the others', not against the smallest of them
  var fromZero = { range: function (u, min, max) { return [0, max > 0 ? max * 1.1 : 1]; } };
  var opts = { xlabel: "run", scales: { x: { time: false }, y: fromZero }, axes: axes, height: 220 };
  var grid = add(root, el("div", { "class": "charts" }));
  LoadpulseCharts.lineChart(add(grid, el("div", { "class": "chart", id: "chart-plan-latency" })),
    "Latency by run (ms)", xs, [{ label: "p50", values: pick("p50") }, { label: "p95", values: pick("p95") },
                                { label: "p99", values: pick("p99") }], opts);
  LoadpulseCharts.lineChart(add(grid, el("div", { "class": "chart", id: "chart-plan-throughput" })),
    "Throughput by run (requests/s)", xs, [{ label: "req/s", values: pick("rate") }], opts);

  // a heading over each run's report; a frame is as tall as the report in it -----------------------------
  var pending = 0;
  function ready() { if (pending === 0) document.body.setAttribute("data-ready", "1"); }
  Array.prototype.forEach.call(document.querySelectorAll("section.plan-run"), function (section) {
    var r = runs[Number(section.getAttribute("data-index"))];
    var h = section.insertBefore(el("header"), section.firstChild);
    var h2 = add(h, el("h2", null, r.index + ". " + r.name + " "));
    add(h2, badge(r.status));
    add(h, el("div", { "class": "muted" }, r.kind + " " + r.target));
    var frame = section.querySelector("iframe");
    if (!frame) {
      // the reason says it: "skipped: 'gate' failed ...", "not run: the plan was interrupted", an error
      add(section, el("p", { "class": "skipped muted" }, r.reason || "not run: the plan stopped before it"));
      return;
    }
    pending += 1;
    function fit() {
      var doc = frame.contentDocument;
      if (doc && doc.documentElement) frame.style.height = doc.documentElement.scrollHeight + "px";
    }
    function watch() {
      var doc = frame.contentDocument;
      if (!doc || !doc.body) return;
      fit();
      if (window.ResizeObserver) new ResizeObserver(fit).observe(doc.body);
      pending -= 1;
      ready();
    }
    if (frame.contentDocument && frame.contentDocument.readyState === "complete" &&
        frame.contentDocument.body && frame.contentDocument.body.getAttribute("data-ready")) watch();
    else frame.addEventListener("load", watch, { once: true });
  });
  ready();
})();
