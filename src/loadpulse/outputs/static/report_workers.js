/* loadpulse HTML report, Workers section (runs with --workers): one row and one bar per worker process, so
   an uneven split, a saturated generator or a lost worker is visible. A lost worker's reason can be any
   error text: it goes through textContent like every other text of the report. */
var LoadpulseWorkers = (function () {
  "use strict";
  var SATURATED_CPU_PCT = 90;

  function render(root, data, h) {
    var w = data.summary.workers;
    if (!w || !w.per_worker || !w.per_worker.length) return;
    var rows = w.per_worker, total = 0;
    rows.forEach(function (r) { total += r.requests; });
    var section = h.add(root, h.el("section", { id: "workers" }));
    h.add(section, h.el("h2", null, "Workers"));
    var imbalance = data.workers ? data.workers.imbalance_pct : null, parts = [
      h.num(w.count, 0) + (w.backend === "ray" ? " Ray actors" : " worker processes") + " (" + w.backend + ") ran the load; every other figure of this report is their merged numbers."];
    if (imbalance !== null && imbalance !== undefined) {
      parts.push("Imbalance " + h.num(imbalance, 1) + " %: the largest deviation of a worker's requests from its share" +
        (w.lost && w.lost.length ? " (lost workers not counted)." : "."));
    }
    parts.push("Share is of all requests; planned, the worker's part of the load; CPU, in % of one core.");
    if (w.lost && w.lost.length) parts.push(h.num(w.lost.length, 0) + " lost: their share of the load is missing from when they were lost.");
    h.add(section, h.el("p", { "class": "muted", id: "workers-note" }, parts.join(" ")));

    var table = h.table(section, ["worker", "state", "requests", "share", "planned", "iterations", "dropped",
      "peak VUs", "CPU", "peak memory"], rows.map(function (r) {
      var lost = r.state === "lost";
      return [
        r.index + " of " + w.count,
        lost ? "lost at " + Number(r.lost_at_s || 0).toFixed(1) + " s: " + (r.lost_why || "no reason given") : "ok",
        h.num(r.requests, 0),
        total ? h.num(100 * r.requests / total, 1) + " %" : "–",
        h.num(100 * r.share, 1) + " %",
        h.num(r.iterations, 0),
        h.num(r.dropped, 0),
        // busy VUs are sampled at interval ends: a run shorter than an interval has none to show
        r.peak_vus ? h.num(r.peak_vus, 0) : "–",
        r.cpu_pct === null || r.cpu_pct === undefined ? "–" : h.num(r.cpu_pct, 0) + " %",
        r.max_rss_mb === null || r.max_rss_mb === undefined ? "–" : h.num(r.max_rss_mb, 0) + " MB",
      ];
    }));
    table.setAttribute("id", "workers-table");
    var trs = table.querySelectorAll("tbody tr");
    var heads = table.querySelectorAll("thead th");
    heads[1].style.textAlign = "left"; heads[0].style.wordBreak = "normal";
    [[3, "its part of all requests"], [4, "its part of the load as planned (arrivals, VUs, iterations)"],
     [7, "most VUs busy at an interval's end"], [8, "CPU time over its load time, in % of one core"],
     [9, "the worker process's peak resident memory"]].forEach(function (t) { heads[t[0]].setAttribute("title", t[1]); });
    rows.forEach(function (r, i) {
      // a sentence (a lost worker's error can be long), not a number; the worker's name never breaks
      trs[i].cells[0].style.whiteSpace = "nowrap"; trs[i].cells[0].style.wordBreak = "normal";
      trs[i].cells[1].style.textAlign = "left"; trs[i].cells[1].style.whiteSpace = "normal";
      trs[i].cells[1].style.minWidth = "16em";
      if (r.state === "lost") { trs[i].setAttribute("class", "lost"); trs[i].style.color = "var(--fail)"; }
      else if (r.cpu_pct > SATURATED_CPU_PCT) trs[i].cells[8].setAttribute("title", "may be limited by the generator");
    });

    var box = h.add(h.add(section, h.el("div", { "class": "charts" })), h.el("div", { "class": "chart", id: "chart-workers" }));
    bars(box, rows, total, w.count, h);
  }

  /* Requests per worker as horizontal bars, each worker's planned share of all requests marked. */
  function bars(target, rows, total, count, h) {
    h.add(target, h.el("div", { "class": "bars-title" }, "Requests per worker"));
    h.add(target, h.el("div", { "class": "muted bars-note" },
      "The dashed line is the worker's planned share of all " + h.num(total, 0) + " requests."));
    var top = 1;
    rows.forEach(function (r) { top = Math.max(top, r.requests, r.share * total); });
    top *= 1.08;
    var list = h.add(target, h.el("div", { "class": "bars" }));
    rows.forEach(function (r) {
      var lost = r.state === "lost", planned = r.share * total;
      var row = h.add(list, h.el("div", { "class": "bar-row " + (lost ? "idle lost" : "worker") }));
      h.add(row, h.el("span", { "class": "bar-name" }, "worker " + r.index + (lost ? " (lost)" : "")));
      var track = h.add(row, h.el("span", { "class": "bar-track" }));
      h.add(track, h.el("span", { "class": "bar" })).style.width = (100 * r.requests / top).toFixed(2) + "%";
      h.add(track, h.el("span", { "class": "even" })).style.left = (100 * planned / top).toFixed(2) + "%";
      var dev = planned ? (r.requests - planned) / planned * 100 : null;
      h.add(row, h.el("span", { "class": "bar-value" }, h.num(r.requests, 0) +
        (dev === null ? "" : " (" + (dev > 0 ? "+" : "") + h.num(dev, 1) + " %)")));
    });
  }

  return { render: render };
})();
