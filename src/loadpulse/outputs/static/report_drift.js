/* loadpulse HTML report, drift (Summary JSON "drift"): the fitted trend of a series as a dashed line on its
   chart, and a Drift table with each series' verdict. Series names can be probe names from the user's
   command line: they go through textContent like every other text of the report. */
var LoadpulseDrift = (function () {
  "use strict";

  function tested(s) {
    return s && s.drift && s.drift.tested && s.drift.series ? s.drift.series : null;
  }

  /* Extra chart series: for each [key, colorIndex] with a tested trend, the Theil-Sen line over the span
     that was tested (null elsewhere, so uPlot leaves a gap), dashed, in the color of the series it fits. */
  function trends(s, xs, wanted) {
    var series = tested(s), out = [];
    if (!series) return out;
    wanted.forEach(function (w) {
      var d = series[w[0]];
      if (!d || d.verdict === "untested" || d.slope_per_min === null || d.level === null) return;
      var perS = d.slope_per_min / 60;
      out.push({
        label: w[0] + " trend (" + d.verdict + ")",
        values: xs.map(function (x) {
          return x < d.start_s || x > d.end_s ? null : d.level + perS * (x - d.start_s);
        }),
        dash: [6, 4],
        color: LoadpulseCharts.COLORS[w[1] % LoadpulseCharts.COLORS.length],
      });
    });
    return out;
  }

  function signed(v, digits) {
    var text = Number(Math.abs(v)).toLocaleString("en-US", { maximumSignificantDigits: digits || 3 });
    return (v < 0 ? "-" : "+") + text;
  }
  function perMin(d, v) {
    if (d.unit === "fraction") return signed(100 * v) + " points/min";
    if (d.unit === "/s") return signed(v) + "/s per min";
    return signed(v) + (d.unit ? " " + d.unit : "") + "/min";
  }
  function change(d) {
    if (d.change === null) return "";
    if (d.change_pct !== null && d.change_pct !== undefined) return signed(d.change_pct) + " %";
    if (d.unit === "fraction") return signed(100 * d.change) + " points";
    return signed(d.change) + (d.unit && d.unit !== "/s" ? " " + d.unit : d.unit || "");
  }

  function render(root, data, h) {
    var series = tested(data.summary);
    if (!series) return;
    var keys = Object.keys(series);
    var section = h.add(root, h.el("section", { id: "drift" }));
    h.add(section, h.el("h2", null, "Drift"));
    h.add(section, h.el("p", { "class": "muted", id: "drift-note" },
      "Each series tested for a trend over the run: Mann-Kendall on block means (serial correlation " +
      "corrected), significant at p < 0.01; the slope is Theil-Sen's with its 99 % interval. A significant " +
      "change of at least 5 % (0.1 point for the error rate) is drift; the dashed lines on the charts are " +
      "the fitted trends."));
    var table = h.table(section, ["series", "verdict", "change over the run", "slope", "99 % interval", "p-value", "points"],
      keys.map(function (k) {
        var d = series[k];
        if (d.verdict === "untested") return [k, "not tested", d.note || "", "", "", "", h.num(d.points, 0)];
        return [k, d.verdict + (d.significant && d.verdict === "stable" ? " (significant, small)" : ""),
                change(d), perMin(d, d.slope_per_min),
                d.ci ? perMin(d, d.ci[0]) + " … " + perMin(d, d.ci[1]) : "",
                Number(d.p_value).toPrecision(2), h.num(d.points, 0)];
      }));
    table.setAttribute("id", "drift-table");
  }

  return { render: render, trends: trends };
})();
