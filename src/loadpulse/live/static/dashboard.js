/* loadpulse live dashboard: SSE updates into cards, uPlot charts and the thresholds table.
   All text goes through textContent. */
(function () {
  "use strict";
  var token = new URLSearchParams(location.search).get("token");
  var q = token ? "?token=" + encodeURIComponent(token) : "";
  var cols = { t: [], rate: [], ok: [], failed: [], p50: [], p95: [], p99: [], vus: [], in_flight: [], dropped: [] };
  var charts = [];
  function $(id) { return document.getElementById(id); }
  function num(v, d) { return v === null || v === undefined ? "–" : Number(v).toLocaleString("en-US", { maximumFractionDigits: d === undefined ? 1 : d }); }

  function chart(title, keys) {
    var box = document.createElement("div");
    box.className = "chart";
    $("charts").appendChild(box);
    var u = LoadpulseCharts.lineChart(box, title, cols.t, keys.map(function (k) {
      return { label: k[1], values: cols[k[0]] };
    }), { height: 220 });
    u.keys = keys.map(function (k) { return k[0]; });
    charts.push(u);
  }
  chart("Throughput (req/s)", [["rate", "all"], ["ok", "ok"], ["failed", "failed"]]);
  chart("Latency (ms)", [["p50", "p50"], ["p95", "p95"], ["p99", "p99"]]);
  chart("VUs and in flight", [["vus", "VUs"], ["in_flight", "in flight"]]);
  chart("Dropped /s", [["dropped", "dropped"]]);

  function card(label, value) {
    var c = document.createElement("div"), l = document.createElement("div"), v = document.createElement("div");
    c.className = "card"; l.className = "label"; v.className = "value";
    l.textContent = label; v.textContent = value;
    c.appendChild(l); c.appendChild(v);
    return c;
  }
  function render(msg) {
    $("title").textContent = msg.title;
    $("status").textContent = msg.status;
    $("status").className = "badge " + msg.status;
    if (msg.status !== "running") $("stop").disabled = true;
    msg.rows.forEach(function (r) {
      cols.t.push(r.t_s); cols.rate.push(r.rate); cols.ok.push(r.ok / r.interval_s); cols.failed.push(r.failed / r.interval_s);
      cols.p50.push(r.p50_ms); cols.p95.push(r.p95_ms); cols.p99.push(r.p99_ms);
      cols.vus.push(r.vus); cols.in_flight.push(r.in_flight); cols.dropped.push(r.interval_s > 0 ? r.dropped / r.interval_s : r.dropped);  // the last interval is short
    });
    charts.forEach(function (u) { u.setData([cols.t].concat(u.keys.map(function (k) { return cols[k]; }))); });
    var t = msg.totals;
    if (t && t.requests !== undefined) {
      $("elapsed").textContent = num(t.elapsed_s, 0) + " s" + (msg.planned_iterations
        ? ", iterations " + num(t.iterations, 0) + " of " + num(msg.planned_iterations, 0)
        : (msg.planned_s ? " of " + num(msg.planned_s, 0) + " s" : ""));
      var cards = $("cards");
      cards.textContent = "";
      [["requests", num(t.requests, 0)], ["req/s", num(t.rate, 1)], ["ok", num(t.ok, 0)], ["failed", num(t.failed, 0)],
       ["p50", num(t.p50_ms, 2) + " ms"], ["p95", num(t.p95_ms, 2) + " ms"], ["p99", num(t.p99_ms, 2) + " ms"],
       ["VUs", num(t.vus, 0)], ["dropped", num(t.dropped, 0)]].forEach(function (c) { cards.appendChild(card(c[0], c[1])); });
      Object.keys(t.errors || {}).forEach(function (k) { cards.appendChild(card("error " + k, num(t.errors[k], 0))); });
      Object.keys(t.probes || {}).forEach(function (k) { cards.appendChild(card("probe " + k, num(t.probes[k], 2))); });
    }
    var names = Object.keys((t && t.by_name) || {});
    if (names.length) {
      $("names").hidden = false;
      var nbody = $("names").querySelector("tbody");
      nbody.textContent = "";
      names.forEach(function (n) {
        var b = t.by_name[n], tr = document.createElement("tr");
        [n, num(b.requests, 0), num(b.failed, 0), b.p95_ms === null ? "–" : num(b.p95_ms, 2) + " ms"].forEach(function (v) {
          var td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
        });
        nbody.appendChild(tr);
      });
    }
    var tb = $("thresholds");
    if (msg.thresholds && msg.thresholds.length) {
      tb.hidden = false;
      var body = tb.querySelector("tbody");
      body.textContent = "";
      msg.thresholds.forEach(function (th) {
        var tr = document.createElement("tr");
        [th.expression, th.actual, th.verdict].forEach(function (v, i) {
          var td = document.createElement("td"); td.textContent = v; if (i === 2) td.className = v; tr.appendChild(td);
        });
        body.appendChild(tr);
      });
    }
  }
  var source = new EventSource("/events" + q);
  source.onmessage = function (e) { render(JSON.parse(e.data)); };
  source.addEventListener("final", function (e) {
    var s = JSON.parse(e.data);
    $("status").textContent = "finished (" + s.ended_by + ", verdict " + s.verdict + ")";
    $("status").className = "badge finished";
    $("stop").disabled = true;
    $("final-title").hidden = false; $("final").hidden = false;
    $("final").textContent = JSON.stringify({ requests: s.requests, latency_ms: s.latency_ms, errors: s.errors,
      ended_by: s.ended_by, verdict: s.verdict, thresholds: s.thresholds }, null, 2);
    document.body.setAttribute("data-final", "1");
    source.close();
  });
  $("stop").addEventListener("click", function () {
    $("stop").disabled = true;
    fetch("/stop" + q, { method: "POST" });
  });
  document.body.setAttribute("data-ready", "1");
})();
