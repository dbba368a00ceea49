/* loadpulse capacity report: the latency/throughput curve of a capacity search and its steps, built from
   the embedded JSON. Every text goes through textContent: URLs and objectives are shown, never interpreted. */
(function () {
  "use strict";
  var doc = JSON.parse(document.getElementById("loadpulse-data").textContent);
  var c = doc.capacity, root = document.getElementById("report");
  var vus = c.unit === "VUs";

  var el = LoadpulseDom.el, add = LoadpulseDom.add, num = LoadpulseDom.num;
  function ms(v) { return LoadpulseDom.ms(v, 2, 0); }
  function unit(v) { return num(v, 1) + (vus ? " VUs" : "/s"); }

  // header and answer ------------------------------------------------------------------------------------
  var head = add(root, el("header"));
  var found = c.max_rate !== null;
  // FOUND only when the limit was bracketed to the precision; otherwise the rate is what was measured to
  // hold, and the limit may lie higher (a lower bound), or the search could not say.
  var badge = found ? ["PASS", "FOUND"] : ["FAIL", "NONE"];
  if (c.stopped_by === "interrupted") badge = ["WARN", "INTERRUPTED"];
  else if (c.stopped_by === "unreachable") badge = ["FAIL", "TARGET UNREACHABLE"];
  else if (c.stopped_by === "generator" && !found) badge = ["WARN", "GENERATOR-LIMITED"];
  else if (found && c.stopped_by !== "precision") badge = ["WARN", "LOWER BOUND"];
  var h1 = add(head, el("h1", null, "loadpulse capacity "));
  add(h1, el("span", { "class": "badge " + badge[0] }, badge[1]));
  add(head, el("div", { "class": "muted" },
    c.target + " — search " + c.search_id + ", started " + c.started_at + ", objectives: " + c.slos.join(", ")));
  var cards = add(root, el("div", { "class": "cards" }));
  function card(label, value) {
    var d = add(cards, el("div", { "class": "card" }));
    add(d, el("div", { "class": "label" }, label));
    add(d, el("div", { "class": "value" }, value));
  }
  card(vus ? "highest sustainable VUs" : "highest sustainable rate", found ? unit(c.max_rate) : "none");
  card("interval", c.ci[0] === null && c.ci[1] === null ? "–" :
    "[" + num(c.ci[0], 1) + " – " + (c.ci[1] === null ? "?" : num(c.ci[1], 1)) + "]");
  card("limited by", c.limited_by || "–");
  card("steps", String(c.steps.length));
  card("stopped by", c.stopped_by);
  var explain = c.message;
  if (badge[1] === "LOWER BOUND")
    explain = unit(c.max_rate) + " was measured to meet every objective; the limit may be higher (" +
      "stopped by " + c.stopped_by + "): " + c.message;
  add(root, el("div", { "class": c.stopped_by === "precision" ? "muted" : "warning" }, explain));

  // the curve ----------------------------------------------------------------------------------------------
  var steps = c.steps.slice().sort(function (a, b) { return a.rate - b.rate; });
  var xs = steps.map(function (s) { return s.rate; });
  function col(key) { return steps.map(function (s) { return s[key] === null ? null : s[key]; }); }
  add(root, el("h2", null, "Latency and throughput against the " + (vus ? "VUs" : "offered rate")));
  var box = add(add(root, el("div", { "class": "charts" })), el("div", { "class": "chart", "id": "capacity-curve" }));
  box.parentNode.style.gridTemplateColumns = "1fr";
  var C = LoadpulseCharts.COLORS;
  var series = [{ label: vus ? "VUs" : "step" }];
  var data = [xs];
  function line(label, values, color, scale, dash) {
    series.push({ label: label, stroke: color, width: 2, scale: scale, dash: dash,
                  points: { show: true, size: 7, fill: color } });
    data.push(values);
  }
  if (!vus) line("offered (/s)", xs, C[6], "rate", [6, 4]);
  line("achieved (/s)", col("achieved"), C[0], "rate");
  line("p50 (ms)", col("p50_ms"), C[1], "ms");
  line("p95 (ms)", col("p95_ms"), C[3], "ms");
  line("p99 (ms)", col("p99_ms"), C[2], "ms");

  // The knee: the highest rate that met every objective (solid) and the interval the limit lies in (band).
  function knee(u) {
    var ctx = u.ctx, top = u.bbox.top, h = u.bbox.height;
    function xpos(v) { return u.valToPos(v, "x", true); }
    ctx.save();
    if (c.ci[0] !== null) {
      var right = c.ci[1] === null ? u.bbox.left + u.bbox.width : xpos(c.ci[1]);
      ctx.fillStyle = "rgba(18,128,92,0.10)";
      ctx.fillRect(xpos(c.ci[0]), top, right - xpos(c.ci[0]), h);
    }
    if (found) {
      ctx.strokeStyle = "#12805c"; ctx.lineWidth = 2 * devicePixelRatio;
      ctx.beginPath(); ctx.moveTo(xpos(c.max_rate), top); ctx.lineTo(xpos(c.max_rate), top + h); ctx.stroke();
      ctx.fillStyle = "#12805c"; ctx.font = (12 * devicePixelRatio) + "px system-ui";
      ctx.fillText("knee " + unit(c.max_rate), xpos(c.max_rate) + 6 * devicePixelRatio, top + 14 * devicePixelRatio);
    }
    steps.forEach(function (s, i) {  // generator-limited steps: their points ringed (achieved and p95)
      if (!s.generator_limited) return;
      ctx.strokeStyle = "#b54708"; ctx.lineWidth = 2 * devicePixelRatio;
      [[s.achieved, "rate"], [s.p95_ms, "ms"]].forEach(function (p) {
        if (p[0] === null || p[0] === undefined || (p[1] === "ms" && !(p[0] > 0))) return;
        ctx.beginPath();
        ctx.arc(xpos(xs[i]), u.valToPos(p[0], p[1], true), 9 * devicePixelRatio, 0, 2 * Math.PI);
        ctx.stroke();
      });
    });
    ctx.restore();
  }
  var opts = {
    title: (vus ? "achieved rate" : "offered vs. achieved rate") + ", and latency percentiles (log scale)",
    width: Math.max(300, box.clientWidth - 16), height: 420,
    // Rates from zero: an axis from 284 to 300/s would draw a 5 % dip as a collapse.
    scales: { x: { time: false }, rate: { range: function (u, lo, hi) { return [0, (hi || 1) * 1.08]; } },
              ms: { distr: 3 } },
    axes: [
      { label: vus ? "VUs" : "offered rate (/s)" },
      { scale: "rate", label: vus ? "achieved (/s)" : "rate (/s)", size: 70 },
      { scale: "ms", label: "latency (ms)", side: 1, size: 70, grid: { show: false } },
    ],
    series: series,
    hooks: { draw: [knee] },
  };
  var u = new uPlot(opts, data, box);
  window.addEventListener("resize", function () { u.setSize({ width: Math.max(300, box.clientWidth - 16), height: 420 }); });

  // steps -------------------------------------------------------------------------------------------------
  add(root, el("h2", null, "Steps, in the order they ran"));
  var t = add(root, el("table", { "id": "steps" })), tr = add(add(t, el("thead")), el("tr"));
  [vus ? "VUs" : "offered", "achieved", "p50", "p95", "p99", "errors", "dropped", "time", "ended", "verdict", "run"]
    .forEach(function (h) {
      add(tr, el("th", { "style": "white-space: nowrap" + (h === "verdict" ? "; text-align: left" : "") }, h));
    });
  var body = add(t, el("tbody"));
  c.steps.forEach(function (s) {
    var row = add(body, el("tr"));
    var verdict = s.unreachable ? "UNREACHABLE" :
      (s.generator_limited ? "GENERATOR-LIMITED" : (s.passed ? "PASS" : "FAIL"));
    [unit(s.rate), num(s.achieved, 1) + "/s", ms(s.p50_ms), ms(s.p95_ms), ms(s.p99_ms),
     num(100 * s.error_rate, 2) + " %", num(s.dropped, 0), num(s.duration_s, 1) + " s", s.ended]
      .forEach(function (v) { add(row, el("td", { "style": "white-space: nowrap" }, v)); });
    var td = add(row, el("td", { "style": "min-width: 12em; max-width: 32em; text-align: left" }));
    add(td, el("span", { "class": "badge " + (verdict === "PASS" ? "PASS" : verdict === "FAIL" || s.unreachable ?
      "FAIL" : "WARN") }, verdict));
    var why = s.unreachable || (s.generator_limited ? s.generator_reason : s.limited_by);
    if (why) {
      // A long reason wraps (and past 160 characters is cut, whole in its tooltip): it never squeezes the
      // figures' columns.
      var short = why.length > 160 ? why.slice(0, 157) + "\u2026" : why;
      add(td, el("div", { "class": "muted", "title": why,
                          "style": "white-space: normal; overflow-wrap: anywhere" }, short));
    }
    add(row, el("td", null, s.run_id));
  });
})();
