/* Chart code shared by the HTML report and the live dashboard: one uPlot line chart per call. */
var LoadpulseCharts = (function () {
  "use strict";
  var COLORS = ["#2e6be6", "#12805c", "#c01048", "#b54708", "#7a5af8", "#0e9384", "#667085", "#dd2590"];
  var all = [];
  /* Chaos faults drawn on every chart over the run's time axis (a chart whose x is not the run's seconds
     names its xlabel): [{name, start, end (null while active), recovered_at (null: not, or never), state
     ("recovered", "never", "unmeasured": the settling window did not fit, recovered_at is tentative),
     judged_until (never: the next fault's start, where its judging stopped; absent: the axis' end)}]. */
  var bands = [];
  var FAULT = "rgba(192,16,72,0.14)", RECOVERY = "rgba(181,71,8,0.08)", EDGE = "rgba(192,16,72,0.8)";
  var UNMEASURED = "rgba(181,71,8,0.9)";

  function bandStretch(u, b) {
    var xmax = u.scales.x.max, end = b.end === null || b.end === undefined ? xmax : b.end;
    // after the fault, shade until the run recovered (to the axis' end while it has not, or never did)
    // (a fault never recovered from was judged only up to the next fault: judged_until, when there is one)
    var open = b.judged_until === null || b.judged_until === undefined ? xmax : b.judged_until;
    var settled = b.end === null || b.end === undefined ? null : (b.recovered_at === null || b.recovered_at === undefined ? open : b.recovered_at);
    return { x0: u.valToPos(b.start, "x", true), x1: u.valToPos(end, "x", true),
             x2: settled === null ? null : u.valToPos(Math.min(settled, xmax), "x", true) };
  }
  function drawBands(u) {
    if (!bands.length) return;
    var ctx = u.ctx, bb = u.bbox, dpr = devicePixelRatio || 1;
    ctx.save();
    ctx.beginPath(); ctx.rect(bb.left, bb.top, bb.width, bb.height); ctx.clip();
    bands.forEach(function (b) {
      var p = bandStretch(u, b);
      if (p.x2 !== null && p.x2 > p.x1) { ctx.fillStyle = RECOVERY; ctx.fillRect(p.x1, bb.top, p.x2 - p.x1, bb.height); }
      if (b.state === "unmeasured") {
        // not measurable is neither recovered nor never: an amber outline (dashed), to where it was healthy
        var w = Math.max(p.x2 === null ? 0 : p.x2 - p.x1, 0);
        ctx.strokeStyle = UNMEASURED; ctx.lineWidth = 1.5 * dpr; ctx.setLineDash([5 * dpr, 4 * dpr]);
        ctx.strokeRect(p.x1, bb.top + dpr, Math.max(w, 2 * dpr), bb.height - 2 * dpr);
        ctx.setLineDash([]);
      }
      ctx.fillStyle = FAULT; ctx.fillRect(p.x0, bb.top, Math.max(p.x1 - p.x0, 0), bb.height);
      // the fault's start as a line: a kill has no width and is only that line
      ctx.fillStyle = EDGE; ctx.fillRect(p.x0 - dpr, bb.top, 2 * dpr, bb.height);
    });
    ctx.restore();
  }
  /* The names over the bands, on lanes so close faults do not write over each other. */
  function drawBandLabels(u) {
    if (!bands.length) return;
    var ctx = u.ctx, bb = u.bbox, dpr = devicePixelRatio || 1, lanes = [], LANES = 3;
    ctx.save();
    ctx.font = Math.round(11 * dpr) + "px system-ui, sans-serif";
    ctx.textBaseline = "top"; ctx.textAlign = "left";
    bands.forEach(function (b) {
      var text = b.name + (b.state === "unmeasured" ? " (n/m)" : b.state === "never" ? " (never)" : "");
      var p = bandStretch(u, b), w = ctx.measureText(text).width, x = p.x0 + 3 * dpr;
      if (x + w > bb.left + bb.width) x = Math.max(bb.left, p.x0 - 3 * dpr - w);
      if (x < bb.left || p.x0 > bb.left + bb.width) return;
      for (var lane = 0; lane < LANES; lane++) if (!(lanes[lane] > x)) break;
      if (lane === LANES) return;  // no room: the Faults section lists it
      lanes[lane] = x + w + 8 * dpr;
      var y = bb.top + (2 + lane * 15) * dpr;
      ctx.fillStyle = "rgba(255,255,255,0.85)"; ctx.fillRect(x - 2 * dpr, y, w + 4 * dpr, 14 * dpr);
      ctx.fillStyle = b.state === "unmeasured" ? "#b54708" : "#9f1239"; ctx.fillText(text, x, y + 1.5 * dpr);
    });
    ctx.restore();
  }
  function setBands(list) {
    bands = list || [];
    all.forEach(function (u) { if (u.timeline) u.redraw(false); });
  }

  /* box: the element to draw in; series: [{label, values, fill?, steps?, dash?, color?}];
     opts: {xlabel, scales, axes, height} (uPlot options merged over the defaults). */
  function lineChart(box, title, xs, series, opts) {
    opts = opts || {};
    var o = {
      title: title, width: Math.max(300, box.clientWidth - 16), height: opts.height || 240,
      scales: Object.assign({ x: { time: false } }, opts.scales || {}),
      // y axes get room for "50,000"-wide labels (uPlot's default clips them)
      axes: (opts.axes || [{ label: "seconds" }, {}]).map(function (a, i) {
        return i === 1 ? Object.assign({ size: 70 }, a) : a;
      }),
      hooks: opts.xlabel ? {} : { drawClear: [drawBands], draw: [drawBandLabels] },
      series: [{ label: opts.xlabel || "t (s)" }].concat(series.map(function (s, i) {
        var c = COLORS[i % COLORS.length];
        return { label: s.label, stroke: s.color || c, width: 1.5, fill: s.fill ? c + "22" : undefined,
                 paths: s.steps ? uPlot.paths.stepped({ align: 1 }) : undefined, dash: s.dash };
      })),
    };
    var u = new uPlot(o, [xs].concat(series.map(function (s) { return s.values; })), box);
    u.timeline = !opts.xlabel;
    all.push(u);
    return u;
  }

  window.addEventListener("resize", function () {
    all.forEach(function (u) { u.setSize({ width: Math.max(300, u.root.parentNode.clientWidth - 16), height: u.height }); });
  });

  return { lineChart: lineChart, setBands: setBands, charts: all, COLORS: COLORS };
})();
