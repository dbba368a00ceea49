/* loadpulse HTML report, Faults section (runs with chaos faults): every fault on the run's timeline with
   its recovery time and its impact, and a bar per fault over the run showing the fault and how long the
   run took to recover. Loaded before report.js: it hands the bands to LoadpulseCharts, so every chart over
   the run's time axis is shaded. Names, targets and details go through textContent, never HTML. */
var LoadpulseFaults = (function () {
  "use strict";
  var data = JSON.parse(document.getElementById("loadpulse-data").textContent);
  var chart = data.faults;
  if (chart) LoadpulseCharts.setBands(chart.bands);
  var RED = "#c01048", AMBER = "rgba(181,71,8,0.35)", LONG = 80;

  var STYLE = { recovered: "var(--pass)", never: "var(--fail)", unmeasured: "#b54708" };

  function secs(v, h) { return h.num(v, v < 10 ? 2 : 1) + " s"; }
  /* recovered, never, or unmeasured (recovered: null: the settling window did not fit before the next
     fault or the run's end; recovery_s is then when the healthy stretch began, tentative). */
  function state(f) {
    if (f.recovered === null) return "unmeasured";
    return f.recovered && f.recovery_s !== null && f.recovery_s !== undefined ? "recovered" : "never";
  }
  function recoveryText(f, h, long) {
    var s = state(f);
    if (s === "recovered") return (long ? "recovered in " : "") + secs(f.recovery_s, h);
    if (s === "never") return "never recovered";
    if (long) return "not measurable";  // a bar's value has 120 px: its tooltip (the note) says the rest
    return "n/m" + (f.recovery_s === null || f.recovery_s === undefined ? "" : " (~" + secs(f.recovery_s, h) + "?)");
  }
  function when(f, h) {
    if (f.end_s === null || f.end_s === undefined) return "from " + secs(f.start_s, h);
    return f.end_s - f.start_s < 0.05 ? "at " + secs(f.start_s, h) : secs(f.start_s, h) + " – " + secs(f.end_s, h);
  }

  function render(root, d, h) {
    var faults = d.summary.faults;
    if (!faults || !faults.length || !chart) return;
    var section = h.add(root, h.el("section", { id: "faults" }));
    h.add(section, h.el("h2", null, "Faults"));
    var never = faults.filter(function (f) { return state(f) === "never"; }).length, most = null;
    var unmeasured = faults.filter(function (f) { return state(f) === "unmeasured"; }).length;
    faults.forEach(function (f) { if (state(f) === "recovered" && (most === null || f.recovery_s > most)) most = f.recovery_s; });
    h.add(section, h.el("p", { "class": "muted", id: "faults-note" },
      h.num(faults.length, 0) + " fault" + (faults.length > 1 ? "s" : "") + " injected during the load" +
      (most !== null ? "; the slowest recovery took " + secs(most, h) : "") +
      (never ? "; " + h.num(never, 0) + " never recovered from by the run's end" : "") +
      (unmeasured ? "; " + h.num(unmeasured, 0) + " not measurable (n/m: the settling window did not fit)" : "") +
      ". Recovery runs from the fault's end (a kill's moment) until the run's objectives held again for the settling " +
      "window; impact counts what ended during the fault. The charts above and below shade each fault (red) and " +
      "its recovery (amber; outlined when not measurable)."));

    var table = h.table(section, ["fault", "kind", "target", "what", "when", "recovery", "requests", "errors",
      "dropped", "p99"], faults.map(function (f) {
      var im = f.impact || {};
      return [f.name, f.kind, f.target || "", f.detail || "", when(f, h),
        recoveryText(f, h, false),
        h.num(im.requests, 0),
        h.num(im.errors, 0) + (im.errors ? " (" + h.num(100 * (im.error_rate || 0), 1) + " %)" : ""),
        h.num(im.dropped, 0), h.ms(im.p99_ms)];
    }));
    table.setAttribute("id", "faults-table");
    var trs = table.querySelectorAll("tbody tr"), heads = table.querySelectorAll("thead th");
    [1, 2, 3].forEach(function (i) { heads[i].style.textAlign = "left"; });
    faults.forEach(function (f, i) {
      var cell = trs[i].cells[5];
      cell.style.fontWeight = "600"; cell.style.whiteSpace = "nowrap";
      cell.style.color = STYLE[state(f)];
      if (f.recovery_note) cell.setAttribute("title", f.recovery_note);
      trs[i].setAttribute("class", state(f));
      [1, 2, 3].forEach(function (c) { trs[i].cells[c].style.textAlign = "left"; });
      // A long target or detail (a restart command) wraps in its own column, cut at LONG with the whole
      // text as its tooltip: unbounded, it squeezed the name to a letter a line and pushed the figures off.
      [2, 3].forEach(function (c) {
        var td = trs[i].cells[c], text = td.textContent;
        td.style.maxWidth = "24em"; td.style.whiteSpace = "normal"; td.style.overflowWrap = "anywhere";
        if (text.length > LONG) { td.textContent = text.slice(0, LONG - 1) + "\u2026"; td.setAttribute("title", text); }
      });
      [0, 4, 6, 7, 8, 9].forEach(function (c) { trs[i].cells[c].style.whiteSpace = "nowrap"; });
    });
    var warnings = [];
    faults.forEach(function (f) {
      var said = f.warnings || [];
      // the run's warning for a recovery not measurable repeats its note: say it once
      if (state(f) === "unmeasured" && f.recovery_note && !said.some(function (w) { return w.indexOf(f.recovery_note) >= 0; })) {
        warnings.push(f.name + ": recovery " + f.recovery_note);
      }
      said.forEach(function (w) { warnings.push(f.name + ": " + w); });
    });
    warnings.forEach(function (w) { h.add(section, h.el("div", { "class": "warning" }, "warning: " + w)); });

    var box = h.add(h.add(section, h.el("div", { "class": "charts" })), h.el("div", { "class": "chart", id: "chart-faults" }));
    box.style.gridColumn = "1 / -1";  // the run's whole width: a bar's position is its time
    bars(box, faults, h);
  }

  /* One bar per fault over the run's time axis: the fault in red, the recovery after it in amber (up to the
     next fault or the axis' end, hatched, when the run never recovered; outlined, to where it was healthy, when not
     measurable). */
  function bars(target, faults, h) {
    var xmax = chart.x_max || 1;
    h.add(target, h.el("div", { "class": "bars-title" }, "Recovery per fault (over the run, 0 – " + secs(xmax, h) + ")"));
    h.add(target, h.el("div", { "class": "muted bars-note" },
      "Red: the fault (a kill is a line); amber: until the run's objectives held again; hatched: never " +
      "(judged up to the next fault, or the run's end); " +
      "outlined (n/m): not measurable, the settling window did not fit."));
    var list = h.add(target, h.el("div", { "class": "bars" }));
    faults.forEach(function (f, i) {
      var b = chart.bands[i];
      var st = state(f);
      var row = h.add(list, h.el("div", { "class": "bar-row " + st }));
      h.add(row, h.el("span", { "class": "bar-name", title: f.name }, f.name));
      var track = h.add(row, h.el("span", { "class": "bar-track" }));
      function seg(from, to, style) {
        var s = h.add(track, h.el("span", { "class": "bar" }));
        s.style.left = (100 * from / xmax).toFixed(2) + "%";
        s.style.width = Math.max(0.4, 100 * (to - from) / xmax).toFixed(2) + "%";
        s.style.background = style; s.style.borderRadius = "0";
        return s;
      }
      var open = b.judged_until === null || b.judged_until === undefined ? xmax : b.judged_until;
      var settled = b.recovered_at === null ? Math.min(open, xmax) : Math.min(b.recovered_at, xmax);
      if (st === "unmeasured") {
        var o = seg(b.end, Math.max(settled, b.end), "transparent");
        o.style.border = "1.5px dashed #b54708"; o.style.boxSizing = "border-box";
        o.setAttribute("class", "bar recovery unmeasured");
      } else if (settled > b.end) {
        var r = seg(b.end, settled, st === "recovered" ? AMBER
          : "repeating-linear-gradient(135deg, rgba(192,16,72,0.35) 0 6px, rgba(192,16,72,0.12) 6px 12px)");
        r.setAttribute("class", "bar recovery");
      }
      seg(b.start, b.end, RED).setAttribute("class", "bar fault");
      var value = h.el("span", { "class": "bar-value" }, recoveryText(f, h, true));
      value.style.color = STYLE[st];
      if (f.recovery_note) value.setAttribute("title", f.recovery_note);
      h.add(row, value);
    });
  }

  return { render: render };
})();
