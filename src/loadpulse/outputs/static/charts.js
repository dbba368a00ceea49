/* Chart code shared by the HTML report and the live dashboard: one uPlot line chart per call. */
var LoadpulseCharts = (function () {
  "use strict";
  var COLORS = ["#2e6be6", "#12805c", "#c01048", "#b54708", "#7a5af8", "#0e9384", "#667085", "#dd2590"];
  var all = [];

  /* box: the element to draw in; series: [{label, values, fill?, steps?}];
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
      series: [{ label: opts.xlabel || "t (s)" }].concat(series.map(function (s, i) {
        var c = COLORS[i % COLORS.length];
        return { label: s.label, stroke: c, width: 1.5, fill: s.fill ? c + "22" : undefined,
                 paths: s.steps ? uPlot.paths.stepped({ align: 1 }) : undefined };
      })),
    };
    var u = new uPlot(o, [xs].concat(series.map(function (s) { return s.values; })), box);
    all.push(u);
    return u;
  }

  window.addEventListener("resize", function () {
    all.forEach(function (u) { u.setSize({ width: Math.max(300, u.root.parentNode.clientWidth - 16), height: u.height }); });
  });

  return { lineChart: lineChart, COLORS: COLORS };
})();
