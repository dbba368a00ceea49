/* loadpulse live dashboard: SSE updates into cards, uPlot charts and the thresholds table.
   All text goes through textContent. */
(function () {
  "use strict";
  var token = new URLSearchParams(location.search).get("token");
  var q = token ? "?token=" + encodeURIComponent(token) : "";
  var cols = { t: [], rate: [], ok: [], failed: [], p50: [], p95: [], p99: [], vus: [], in_flight: [], dropped: [],
              psent: [], pdelivered: [], pbacklog: [] };
  var charts = [], pipelineShown = false;
  function $(id) { return document.getElementById(id); }
  function num(v, d) { return v === null || v === undefined ? "–" : Number(v).toLocaleString("en-US", { maximumFractionDigits: d === undefined ? 1 : d }); }

  function ms(v) { return v === null || v === undefined ? "–" : v >= 1000 ? num(v / 1000, 2) + " s" : num(v, 2) + " ms"; }
  function chart(title, keys, where) {
    var box = document.createElement("div");
    box.className = "chart";
    $(where || "charts").appendChild(box);
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

  function card(label, value, note, bad) {
    var c = document.createElement("div"), l = document.createElement("div"), v = document.createElement("div");
    c.className = bad ? "card bad" : "card"; l.className = "label"; v.className = "value";
    l.textContent = label; v.textContent = value;
    c.appendChild(l); c.appendChild(v);
    if (note) { var n = document.createElement("div"); n.className = "note"; n.textContent = note; c.appendChild(n); }
    return c;
  }
  /* Shown once the run reports a pipeline (a run with sinks); its charts are made when it is visible, so
     they get the panel's width. Lost is known only after the load: until then a missing item is backlog. */
  function renderPipeline(p) {
    if (!p) return;
    if (!pipelineShown) {
      pipelineShown = true;
      $("pipeline").hidden = false;
      chart("Items (total so far)", [["psent", "sent"], ["pdelivered", "arrived"]], "pipeline-charts");
      chart("Backlog (sent, not arrived yet)", [["pbacklog", "backlog"]], "pipeline-charts");
    }
    var box = $("pipeline-cards");
    box.textContent = "";
    var missing = p.after_load ? (p.drained ? "" : "not arrived by the end of the drain") : "known after the load";
    [card("sent", num(p.sent, 0)), card("arrived", num(p.delivered, 0)),
     // after the load the missing items are lost: the backlog card keeps only the rest (not counted twice)
     card("backlog", num(p.pending, 0), p.after_load ? (p.pending ? "in progress or unverified" : "none left") : "sent, not arrived yet"),
     card("lost", p.after_load ? num(p.lost, 0) : "–", p.after_load && !p.lost ? "" : missing, p.lost > 0),
     card("duplicates", num(p.duplicates, 0), "", p.duplicates > 0),
     card("e2e p95", ms(p.e2e_p95_ms), "send to arrival")].forEach(function (c) { box.appendChild(c); });
    if (p.after_load && p.drain_s !== null) {
      box.appendChild(card("drain", num(p.drain_s, 2) + " s", p.drained ? "load end to last arrival" : "waited, then gave up", !p.drained));
    }
    if (p.stuck) box.appendChild(card("stuck", num(p.stuck, 0), "not final for too long", true));
  }
  /* Chaos faults: shaded on every chart (LoadpulseCharts bands) and listed, the active ones highlighted.
     The list is made on the first fault, under the cards; a run without faults shows nothing. */
  function renderFaults(faults, final) {
    if (!faults || !faults.length) return;
    LoadpulseCharts.setBands(faults.map(function (f) {
      // recovered: null is not measurable (the settling window did not fit): recovery_s is tentative
      var unmeasured = f.recovered === null, settled = f.recovered && f.recovery_s !== null;
      return { name: f.name, start: f.start_s, end: f.end_s, state: unmeasured ? "unmeasured" : settled ? "recovered" : "never",
               recovered_at: settled || (unmeasured && f.end_s !== null) ? f.end_s + (f.recovery_s || 0) : null };
    }));
    var table = $("faults");
    if (!table) {
      var title = document.createElement("h2");
      title.textContent = "Faults";
      table = document.createElement("table");
      table.id = "faults"; table.style.marginBottom = "14px";
      var head = document.createElement("tr");
      ["fault", "kind", "what", "when", "state"].forEach(function (h) {
        var th = document.createElement("th"); th.textContent = h; head.appendChild(th);
      });
      table.appendChild(document.createElement("thead")).appendChild(head);
      table.appendChild(document.createElement("tbody"));
      $("cards").after(title, table);
    }
    var body = table.querySelector("tbody");
    body.textContent = "";
    faults.forEach(function (f) {
      var tr = document.createElement("tr"), active = f.end_s === null || f.end_s === undefined, state, colour = "";
      var when = active ? "since " + num(f.start_s, 1) + " s"
        : f.end_s - f.start_s < 0.05 ? "at " + num(f.start_s, 1) + " s" : num(f.start_s, 1) + " – " + num(f.end_s, 1) + " s";
      if (active) { state = "active"; tr.style.background = "#fde8ef"; tr.style.fontWeight = "600"; colour = "#c01048"; }
      else if (f.recovered && f.recovery_s !== null) { state = "recovered in " + num(f.recovery_s, 2) + " s"; colour = "#12805c"; }
      else if (f.recovered === null) {
        state = "not measurable" + (f.recovery_s === null || f.recovery_s === undefined ? "" : " (~" + num(f.recovery_s, 2) + " s?)");
        colour = "#b54708";
      }
      else if (final) { state = "never recovered"; colour = "#c01048"; }
      else { state = "recovering…"; colour = "#b54708"; }
      tr.className = active ? "active" : f.recovered ? "recovered" : f.recovered === null ? "unmeasured" : final ? "never" : "recovering";
      [f.name, f.kind, f.detail || f.target || "", when, state].forEach(function (v, i) {
        var td = document.createElement("td"); td.textContent = v;
        if (i === 4) { td.style.color = colour; if (f.recovery_note) td.title = f.recovery_note; }
        tr.appendChild(td);
      });
      body.appendChild(tr);
      (f.warnings || []).forEach(function (w) {
        var wr = document.createElement("tr"), td = document.createElement("td");
        td.colSpan = 5; td.textContent = "warning: " + w; td.style.color = "#b54708";
        wr.appendChild(td); body.appendChild(wr);
      });
    });
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
      // null before the pipeline's first poll: a gap, not a zero
      cols.psent.push(r.pipeline_sent === undefined ? null : r.pipeline_sent);
      cols.pdelivered.push(r.pipeline_delivered === undefined ? null : r.pipeline_delivered);
      cols.pbacklog.push(r.pipeline_backlog === undefined ? null : r.pipeline_backlog);
    });
    if (msg.totals) renderPipeline(msg.totals.pipeline);
    renderFaults(msg.faults, false);
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
      ended_by: s.ended_by, verdict: s.verdict, thresholds: s.thresholds, pipeline: s.pipeline }, null, 2);
    renderFaults(s.faults, true);  // the run's own account: recovery judged over the whole run
    document.body.setAttribute("data-final", "1");
    source.close();
  });
  $("stop").addEventListener("click", function () {
    $("stop").disabled = true;
    fetch("/stop" + q, { method: "POST" });
  });
  document.body.setAttribute("data-ready", "1");
})();
