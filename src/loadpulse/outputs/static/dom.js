/* DOM helpers shared by the offline HTML pages (run report, capacity search, test plan). Every text goes
   through textContent, so names, URLs and error texts from the target are shown, never interpreted. */
var LoadpulseDom = (function () {
  "use strict";
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent, child) { parent.appendChild(child); return child; }
  function num(v, digits) {
    if (v === null || v === undefined) return "–";
    return Number(v).toLocaleString("en-US", { maximumFractionDigits: digits === undefined ? 1 : digits });
  }
  /* A latency in ms: `small` decimals below 10 ms, `large` from there (each page keeps its own precision). */
  function ms(v, small, large) {
    if (v === null || v === undefined) return "–";
    return (v < 10 ? num(v, small) : num(v, large)) + " ms";
  }
  return { el: el, add: add, num: num, ms: ms };
})();
