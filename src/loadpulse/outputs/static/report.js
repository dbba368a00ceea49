/* loadpulse HTML report: builds the page from the embedded JSON. Every text goes through textContent, so
   names, URLs and error texts from the target are shown, never interpreted. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("loadpulse-data").textContent);
  var s = data.summary, root = document.getElementById("report");

  var el = LoadpulseDom.el, add = LoadpulseDom.add, num = LoadpulseDom.num;
  function ms(v) { return LoadpulseDom.ms(v, 3, 1); }
  function table(parent, headers, rows) {
    var t = add(parent, el("table")), tr = add(add(t, el("thead")), el("tr"));
    headers.forEach(function (h) { add(tr, el("th", null, h)); });
    var body = add(t, el("tbody"));
    rows.forEach(function (r) {
      var row = add(body, el("tr"));
      r.forEach(function (c) {
        var td = add(row, el("td"));
        if (c && typeof c === "object" && c.badge) { add(td, el("span", { "class": "badge " + c.badge }, c.badge)); }
        else td.textContent = c === null || c === undefined ? "" : String(c);
      });
    });
    return t;
  }

  /* A custom trend's figure as the console shows it (metrics/figure_text.py): three significant digits,
     a duration when the name ends in _ms, "no data" for a trend that recorded nothing. */
  function sig(v) {
    if (v === null || v === undefined) return "–";
    if (!isFinite(v) || v === 0) return String(v);
    var mag = Math.floor(Math.log10(Math.abs(v)));
    if (mag < -4) return Number(v.toPrecision(3)).toExponential();
    var dec = Math.max(0, 2 - mag);
    if (dec && Math.floor(Math.log10(Number(Math.abs(v).toFixed(dec)))) > mag) dec -= 1;
    return v.toLocaleString("en-US", { minimumFractionDigits: dec, maximumFractionDigits: dec });
  }
  function trendValue(name, v) {
    if (!/_ms$/.test(name) || v === null || v === undefined) return sig(v);
    var size = Math.abs(Number(v.toPrecision(3)));
    if (size === 0) return "0 ms";
    return size >= 1000 ? sig(v / 1000) + " s" : size >= 1 ? sig(v) + " ms" : sig(v * 1000) + " µs";
  }
  function trendText(name, m) {
    if (!m.count) return "no data";
    return ["min", "p50", "p95", "max"].map(function (k) { return k + " " + trendValue(name, m[k]); })
      .join(", ") + " (n=" + num(m.count, 0) + ")";
  }

  // header ---------------------------------------------------------------------------------------------
  var what = ((s.load && s.load.source) || (s.target && s.target.url) || "") +
    (s.load && s.load.http2 ? " over HTTP/2 (" + s.load.streams_per_connection + " streams per connection)" : "");
  var head = add(root, el("header"));
  var h1 = add(head, el("h1", null, "loadpulse report "));
  add(h1, el("span", { "class": "badge " + s.verdict }, s.verdict));
  add(head, el("div", { "class": "muted" },
    what + " — run " + s.run_id + ", started " + s.started_at + ", " + num(s.duration_s, 1) + " s, " +
    s.model + " model, ended by " + s.ended_by + (s.aborted_by ? " (aborted: " + s.aborted_by + ")" : "")));

  var cards = add(root, el("div", { "class": "cards" }));
  function card(label, value) {
    var c = add(cards, el("div", { "class": "card" }));
    add(c, el("div", { "class": "label" }, label));
    add(c, el("div", { "class": "value" }, value));
  }
  var req = s.requests, lat = s.latency_ms;
  card("requests", num(req.total, 0));
  card("throughput", num(req.rate, 1) + "/s");
  card("ok", req.total ? num(100 * req.ok / req.total, 2) + " %" : "–");
  card("failed", num(req.failed, 0));
  card("p50", ms(lat.p50)); card("p95", ms(lat.p95)); card("p99", ms(lat.p99)); card("max", ms(lat.max));
  card("dropped", num(s.dropped, 0));
  (s.warnings || []).forEach(function (w) { add(root, el("div", { "class": "warning" }, "warning: " + w)); });

  // thresholds -----------------------------------------------------------------------------------------
  if (s.thresholds && s.thresholds.length) {
    add(root, el("h2", null, "Thresholds"));
    table(root, ["threshold", "target", "acceptable", "critical", "actual", "verdict"], s.thresholds.map(function (t) {
      function b(level) { return t[level] ? t.comparators[level] + " " + t[level] : ""; }
      return [t.expression, b("target"), b("acceptable"), b("critical"), t.actual_text, { badge: t.verdict }];
    }));
  }

  // pipeline check (only for runs with a sink) ---------------------------------------------------------
  if (s.pipeline && data.pipeline) {
    LoadpulsePipeline.render(root, data, { el: el, add: add, num: num, ms: ms, table: table });
  }
  if (s.workers) LoadpulseWorkers.render(root, data, { el: el, add: add, num: num, ms: ms, table: table });
  if (s.faults && s.faults.length) LoadpulseFaults.render(root, data, { el: el, add: add, num: num, ms: ms, table: table });
  if (s.drift) LoadpulseDrift.render(root, data, { el: el, add: add, num: num, ms: ms, table: table });

  // charts ---------------------------------------------------------------------------------------------
  add(root, el("h2", null, "Over time"));
  var grid = add(root, el("div", { "class": "charts" }));
  function chart(id, title, xs, series, opts) {
    var box = add(grid, el("div", { "class": "chart", id: id }));
    return LoadpulseCharts.lineChart(box, title, xs, series, opts);
  }
  var sr = data.series, t = sr.t;
  // every count below is per second of its interval's real length (the last interval is partial)
  var throughput = [
    { label: "all", values: sr.rate }, { label: "ok", values: sr.ok }, { label: "failed", values: sr.failed }];
  if (sr.iterations && sr.iterations.some(function (v) { return v > 0; })) {
    throughput.push({ label: "iterations", values: sr.iterations });
  }
  // a tested drift adds its fitted trend, dashed, in the color of the series it fits
  chart("chart-throughput", "Throughput (per second)", t, throughput.concat(LoadpulseDrift.trends(s, t, [["requests.rate", 0]])));
  chart("chart-latency", "Latency (ms)", t, [
    { label: "p50", values: sr.p50 }, { label: "p90", values: sr.p90 }, { label: "p95", values: sr.p95 },
    { label: "p99", values: sr.p99 }, { label: "max", values: sr.max }].concat(
    LoadpulseDrift.trends(s, t, [["p50", 0], ["p95", 2], ["p99", 3]])));
  var kinds = Object.keys(sr.errors);
  chart("chart-errors", "Errors by kind (per second)", t, kinds.length ? kinds.map(function (k) {
    return { label: k, values: sr.errors[k] };
  }) : [{ label: "no errors", values: t.map(function () { return 0; }) }]);
  chart("chart-vus", "VUs, in flight, connections", t, [
    { label: "VUs", values: sr.vus }, { label: "in flight", values: sr.in_flight },
    { label: "connections", values: sr.connections }]);
  chart("chart-dropped", "Dropped arrivals (per second)", t, [{ label: "dropped", values: sr.dropped, fill: true }]);

  var probeNames = Object.keys(sr.probes || {});
  if (probeNames.length) {
    add(root, el("h2", null, "Target probes"));
    grid = add(root, el("div", { "class": "charts" }));
    // one chart per probe (their units differ); a failed sample is a gap (null), never a zero
    probeNames.slice(0, 12).forEach(function (p, i) {
      chart("chart-probe-" + i, p, t, [{ label: p, values: sr.probes[p] }].concat(LoadpulseDrift.trends(s, t, [["probe." + p, 0]])));
    });
  }

  add(root, el("h2", null, "Latency distribution (whole run)"));
  var grid2 = add(root, el("div", { "class": "charts" }));
  grid = grid2;
  function pctLabel(x) {
    var q = 100 * (1 - Math.pow(10, -x));
    return "p" + (q >= 99 ? q.toFixed(Math.max(0, Math.round(x) - 2)) : Math.round(q));
  }
  chart("chart-spectrum", "Percentile spectrum (ms, log)", data.spectrum.x, [
    { label: "latency", values: data.spectrum.ms }], {
      xlabel: "percentile",
      scales: { y: { distr: 3 } },
      axes: [{ label: "percentile", splits: function () { return [0, 1, 2, 3, 4]; },
               values: function (u, vals) { return vals.map(pctLabel); } }, {}],
    });
  chart("chart-histogram", "Histogram (count per latency bin, ms)", data.histogram.ms.length ? data.histogram.ms : [0],
    [{ label: "requests", values: data.histogram.count.length ? data.histogram.count : [0], steps: true, fill: true }], {
      xlabel: "ms", scales: { x: { time: false, distr: data.histogram.ms.length > 1 ? 3 : 1 } },
      axes: [{ label: "latency (ms)" }, {}],
    });

  // tables ---------------------------------------------------------------------------------------------
  var names = Object.keys(s.by_name || {});
  if (names.length) {
    add(root, el("h2", null, "Per request name"));
    table(root, ["name", "requests", "failed", "req/s", "p50", "p95", "p99", "max", "errors"], names.map(function (n) {
      var b = s.by_name[n], l = b.latency_ms;
      var errs = Object.keys(b.errors).map(function (k) { return k + ": " + b.errors[k]; }).join(", ");
      return [n, num(b.requests.total, 0), num(b.requests.failed, 0), num(b.requests.rate, 1),
              ms(l.p50), ms(l.p95), ms(l.p99), ms(l.max), errs];
    }));
  }
  var tagNames = Object.keys(s.by_tag || {});
  if (tagNames.length) {
    add(root, el("h2", null, "Per tag"));
    table(root, ["tag", "requests", "failed", "req/s", "p50", "p95", "p99", "max"], tagNames.map(function (n) {
      var b = s.by_tag[n], l = b.latency_ms;
      return [n, num(b.requests.total, 0), num(b.requests.failed, 0), num(b.requests.rate, 1),
              ms(l.p50), ms(l.p95), ms(l.p99), ms(l.max)];
    }));
  }
  if (s.scenarios) {
    add(root, el("h2", null, "Scenarios"));
    table(root, ["scenario", "profile", "iterations", "it/s", "p50", "p95", "dropped", "interrupted", "script errors"],
      Object.keys(s.scenarios).map(function (n) {
        var b = s.scenarios[n];
        var errs = Object.keys(b.script_errors).map(function (k) { return k + " ×" + b.script_errors[k]; }).join("; ");
        return [n, b.profile.profile, num(b.iterations, 0), num(b.iteration_rate, 1), ms(b.iteration_ms.p50),
                ms(b.iteration_ms.p95), num(b.dropped, 0), num(b.interrupted, 0), errs];
      }));
    var errorRows = [];
    Object.keys(s.scenarios).forEach(function (n) {
      var b = s.scenarios[n], messages = b.script_error_messages || {};
      Object.keys(b.script_errors).forEach(function (k) {
        errorRows.push([b.script_errors[k], n, k, messages[k] || ""]);
      });
    });
    if (errorRows.length) {
      add(root, el("h2", null, "Script errors"));
      errorRows.sort(function (a, b) { return b[0] - a[0]; });  // the most frequent first
      table(root, ["scenario", "error", "count", "first message"], errorRows.slice(0, 50).map(function (r) {
        return [r[1], r[2], num(r[0], 0), r[3]];
      }));
    }
  }
  var probeStats = Object.keys(s.probes || {});
  if (probeStats.length) {
    add(root, el("h2", null, "Probe summary"));
    table(root, ["probe", "first", "last", "min", "max", "avg", "growth", "samples"], probeStats.map(function (n) {
      var p = s.probes[n];
      return [n, num(p.first, 3), num(p.last, 3), num(p.min, 3), num(p.max, 3), num(p.avg, 3),
              p.growth === null ? "" : num(100 * p.growth, 1) + " %", num(p.samples, 0)];
    }));
  }
  if (s.checks && Object.keys(s.checks).length) {
    add(root, el("h2", null, "Checks"));
    table(root, ["check", "passed", "failed", "rate"], Object.keys(s.checks).map(function (n) {
      var c = s.checks[n];
      return [n, num(c.passed, 0), num(c.failed, 0), num(100 * c.rate, 2) + " %"];
    }));
  }
  if (s.metrics && Object.keys(s.metrics).length) {
    add(root, el("h2", null, "Custom metrics"));
    var metricsTable = table(root, ["metric", "kind", "value"], Object.keys(s.metrics).map(function (n) {
      var m = s.metrics[n];
      var v = m.kind === "counter" ? num(m.value, 3) + " (" + num(m.rate, 1) + "/s)"
        : m.kind === "rate" ? (m.rate == null ? "no data" : num(100 * m.rate, 2) + " % of " + num(m.total, 0))
        : trendText(n, m);
      return [n, m.kind, v];
    }));
    metricsTable.id = "custom-metrics";
  }
  var ekinds = Object.keys(s.errors || {});
  if (ekinds.length) {
    add(root, el("h2", null, "Errors"));
    // Connection ends (a WebSocket the server closed with no request waiting) are errors, not requests.
    var ends = s.connection_errors || {};
    if (Object.keys(ends).length) {
      table(root, ["kind", "count", "of them connection ends (not requests)"], ekinds.map(function (k) {
        return [k, num(s.errors[k], 0), ends[k] ? num(ends[k], 0) : ""];
      }));
    } else {
      table(root, ["kind", "count"], ekinds.map(function (k) { return [k, num(s.errors[k], 0)]; }));
    }
  }
  add(root, el("h2", null, "Settings (secrets redacted)"));
  add(root, el("pre", { id: "settings" }, JSON.stringify(data.settings, null, 2)));
  add(root, el("p", { "class": "muted" }, "loadpulse " + (s.tool && s.tool.version) + " — charts by uPlot (MIT)."));

  document.body.setAttribute("data-ready", "1");
})();
