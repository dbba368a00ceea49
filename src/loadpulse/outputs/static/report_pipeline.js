/* loadpulse HTML report, Pipeline section: what the run sent against what arrived where the sink looks.
   Ids and worker names come from the system under test: every one goes through textContent (or is drawn
   on a canvas by uPlot), never through HTML. */
var LoadpulsePipeline = (function () {
  "use strict";
  var QUIET = "#98a2b3";

  function loadEndMarker(u, x) {
    if (x === null || x === undefined) return;
    (u.hooks.draw = u.hooks.draw || []).push(function (u) {
      var ctx = u.ctx, px = Math.round(u.valToPos(x, "x", true)), top = u.bbox.top;
      ctx.save();
      ctx.strokeStyle = QUIET; ctx.lineWidth = 1; ctx.setLineDash([5, 4]);
      ctx.beginPath(); ctx.moveTo(px, top); ctx.lineTo(px, top + u.bbox.height); ctx.stroke();
      // the label sits on a white box right of the line, so no curve runs through it
      var label = "load end → drain", dpr = devicePixelRatio || 1;
      ctx.font = Math.round(11 * dpr) + "px system-ui, sans-serif";
      var w = ctx.measureText(label).width, x0 = px + 4 * dpr;
      if (x0 + w > u.bbox.left + u.bbox.width) x0 = px - 4 * dpr - w;  // no room right of the line
      ctx.setLineDash([]); ctx.fillStyle = "rgba(255,255,255,0.85)";
      ctx.fillRect(x0 - 2 * dpr, top + 2 * dpr, w + 4 * dpr, 14 * dpr);
      ctx.fillStyle = "#667085"; ctx.textBaseline = "top"; ctx.textAlign = "left";
      ctx.fillText(label, x0, top + 4 * dpr);
      ctx.restore();
    });
    u.redraw(false);
  }

  function render(root, data, h) {
    var p = data.summary.pipeline, c = data.pipeline;
    if (!p || !c) return;
    var section = h.add(root, h.el("section", { id: "pipeline" }));
    h.add(section, h.el("h2", null, "Pipeline: sent vs. arrived"));

    // verdict numbers ------------------------------------------------------------------------------
    var cards = h.add(section, h.el("div", { "class": "cards" }));
    function card(label, value, bad, note) {
      var box = h.add(cards, h.el("div", { "class": "card" + (bad ? " bad" : "") }));
      h.add(box, h.el("div", { "class": "label" }, label));
      h.add(box, h.el("div", { "class": "value" }, value));
      if (note) h.add(box, h.el("div", { "class": "note" }, note));
    }
    var lost = p.lost.count, waiting = p.sent - p.delivered;
    card("sent", h.num(p.sent, 0));
    card("delivered", h.num(p.delivered, 0), false,
      p.sent ? h.num(100 * p.delivered / p.sent, 2) + " % of sent" : null);
    card("lost", h.num(lost, 0), lost > 0, h.num(100 * p.lost.rate, 3) + " % of sent");
    card("duplicates", h.num(p.duplicates.count, 0), p.duplicates.count > 0);
    card("unexpected", h.num(p.unexpected.count, 0), p.unexpected.count > 0, "seen, never sent");
    card("rejected", h.num(p.rejected, 0), false, "request failed");
    var failed = p.failed ? p.failed.count : 0;
    if (failed) card("failed", h.num(failed, 0), true, "arrived in a failed status");
    card("stuck", h.num(p.stuck.count, 0), p.stuck.count > 0, p.in_progress ? h.num(p.in_progress, 0) + " in progress" : null);
    card("unverified", h.num(p.unverified || 0, 0), (p.unverified || 0) > 0, p.unverified ? "not checked: sink failed or hung, or wait stopped" : null);
    if (p.drain_s === null) card("drain", "–", false, "the load had not ended");
    else if (p.drained) card("drain", h.num(p.drain_s, 2) + " s", false, "load end to last arrival");
    else {
      var progressing = p.in_progress || 0, unseen = Math.max(0, waiting - progressing - failed), why = [];
      if (unseen) why.push(h.num(unseen, 0) + " never seen");
      if (progressing) why.push(h.num(progressing, 0) + " in progress");
      card("drain", "not drained", true, (why.join(", ") || "still waiting") + " after " + h.num(p.drain_s, 1) + " s");
    }
    var e = p.e2e_ms;
    function lat(v) { return v !== null && v !== undefined && v >= 1000 ? h.num(v / 1000, 2) + " s" : h.ms(v); }
    card("e2e p50", lat(e.p50)); card("e2e p95", lat(e.p95)); card("e2e p99", lat(e.p99)); card("e2e max", lat(e.max));
    if (p.fairness_pct !== null && p.fairness_pct !== undefined) {
      card("fairness", h.num(p.fairness_pct, 1) + " %", false, "largest deviation from an even share");
    }
    if (p.out_of_order) card("out of order", h.num(p.out_of_order, 0), false, "arrived after a later-sent item");

    var basis = p.e2e_basis || {}, atN = basis.persist_time || 0, seenN = basis.first_seen || 0, parts = [];
    if (atN) parts.push(h.num(atN, 0) + " to the persist time the sink gives");
    if (seenN) {
      parts.push(h.num(seenN, 0) + " to the poll that first saw the item" +
        (p.e2e_resolution_s ? " (up to " + h.num(p.e2e_resolution_s, 2) + " s late: the longest gap between polls)" : ""));
    }
    h.add(section, h.el("p", { "class": "muted", id: "pipeline-basis" }, parts.length
      ? "End-to-end latency runs from each send (the intended start in open-model runs): " + parts.join("; ") + "."
      : "No item arrived: there is no end-to-end latency."));

    var idRows = [];
    function ids(kind, count, list) { if (count && list && list.length) idRows.push([kind, h.num(count, 0), list.join(", ")]); }
    ids("lost", lost, p.lost_ids);
    ids("duplicates", p.duplicates.count, p.duplicates.ids);
    ids("stuck", p.stuck.count, p.stuck.ids);
    if (p.failed) ids("failed", p.failed.count, p.failed.ids);
    ids("unexpected", p.unexpected.count, p.unexpected.ids);
    if (idRows.length) {
      h.add(section, h.el("h3", null, "Items in trouble (the first 20 of each)"));
      h.table(section, ["kind", "count", "ids"], idRows).setAttribute("class", "ids");
    }

    // charts ---------------------------------------------------------------------------------------
    var grid = h.add(section, h.el("div", { "class": "charts" }));
    function box(id) { return h.add(grid, h.el("div", { "class": "chart", id: id })); }
    var ot = c.over_time;
    if (ot) {
      var xs = { x: { time: false, range: [0, c.x_max] } };
      loadEndMarker(LoadpulseCharts.lineChart(box("chart-pipeline-rates"), "Sent vs. delivered (per second)", ot.t, [
        { label: "sent/s", values: ot.sent }, { label: "delivered/s", values: ot.delivered }], { scales: xs }), p.load_end_s);
      loadEndMarker(LoadpulseCharts.lineChart(box("chart-pipeline-backlog"), "Backlog (sent, not arrived yet)", ot.t, [
        { label: "backlog", values: ot.backlog, fill: true }], { scales: xs }), p.load_end_s);
    } else {
      h.add(grid, h.el("p", { "class": "muted" }, "This results file has no pipeline timeline (written before it was kept)."));
    }
    var sp = c.spectrum;
    if (sp.x.length) {
      var labels = { 0: "p0", 1: "p90", 2: "p99", 3: "p99.9", 4: "p99.99", 4.5: "max" };
      LoadpulseCharts.lineChart(box("chart-pipeline-e2e"), "End-to-end latency distribution (ms" + (sp.log ? ", log)" : ")"),
        sp.x, [{ label: "e2e", values: sp.ms }], {
          xlabel: "percentile",
          scales: sp.log ? { y: { distr: 3 } } : {},
          axes: [{ label: "percentile", splits: function () { return [0, 1, 2, 3, 4, 4.5]; },
                   values: function (u, vals) { return vals.map(function (v) { return labels[v] || ""; }); } }, {}],
        });
    }
    if (c.workers) workerBars(box("chart-pipeline-workers"), c.workers, h);
  }

  /* Deliveries per worker as horizontal bars (names of any length stay readable), the even share marked. */
  function workerBars(target, w, h) {
    var fair = w.fairness_pct === null || w.fairness_pct === undefined ? "" : " — fairness " + h.num(w.fairness_pct, 1) + " %";
    h.add(target, h.el("div", { "class": "bars-title" }, "Deliveries per worker" + fair));
    h.add(target, h.el("div", { "class": "muted bars-note" },
      "The dashed line is an even share (" + h.num(w.even, 1) + " each over " + h.num(w.groups, 0) +
      " workers); fairness is the largest deviation from it."));
    var counts = w.rows.filter(function (r) { return r.kind !== "gap"; }).map(function (r) { return r.count; });
    var top = Math.max(w.even, Math.max.apply(null, counts)) * 1.08 || 1;
    var list = h.add(target, h.el("div", { "class": "bars" }));
    w.rows.forEach(function (r) {
      if (r.kind === "gap") { h.add(list, h.el("div", { "class": "bar-gap muted" }, r.name)); return; }
      var row = h.add(list, h.el("div", { "class": "bar-row " + r.kind }));
      h.add(row, h.el("span", { "class": "bar-name", title: r.name }, r.name));
      var track = h.add(row, h.el("span", { "class": "bar-track" }));
      var bar = h.add(track, h.el("span", { "class": "bar" }));
      bar.style.width = (100 * r.count / top).toFixed(2) + "%";
      if (r.kind !== "other") h.add(track, h.el("span", { "class": "even" })).style.left = (100 * w.even / top).toFixed(2) + "%";
      var dev = r.deviation_pct === null ? "" : " (" + (r.deviation_pct > 0 ? "+" : "") + h.num(r.deviation_pct, 1) + " %)";
      h.add(row, h.el("span", { "class": "bar-value" }, h.num(r.count, 0) + dev));
    });
  }

  return { render: render };
})();
