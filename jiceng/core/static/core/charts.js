// Charts drawn with the vendored Apache ECharts; data comes from json_script blocks, so no
// inline script is needed (the Content-Security-Policy forbids it).
//
// Tooltips are built as DOM nodes whose text is set with textContent, never as HTML strings:
// an organisation named `"><img src=x onerror=…>` shows as those characters, not as markup.
// ECharts' default tooltips carry colour markers written as inline style attributes, which the
// Content-Security-Policy (style-src 'self', no 'unsafe-inline') refuses; ours colour the
// marker through the CSSOM (element.style), which the policy allows. Every chart here and on
// the planning map uses `jicengCharts.tooltip`.
(function () {
  function node(tag, className, text) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    if (text !== undefined && text !== null) { el.textContent = String(text); }
    return el;
  }
  // rows: [{colour, label, value}] → <div class="jc-tip"><div class="jc-tip-title">…
  function tipNode(title, rows) {
    var box = node("div", "jc-tip");
    if (title !== undefined && title !== null && title !== "") {
      box.appendChild(node("div", "jc-tip-title", title));
    }
    rows.forEach(function (r) {
      var line = node("div", "jc-tip-row");
      if (r.colour && typeof r.colour === "string") {
        var dot = node("span", "jc-tip-dot");
        dot.style.backgroundColor = r.colour;
        line.appendChild(dot);
      }
      line.appendChild(node("span", "jc-tip-label", r.label));
      if (r.value !== undefined && r.value !== null && r.value !== "") {
        line.appendChild(node("span", "jc-tip-value", r.value));
      }
      box.appendChild(line);
    });
    return box;
  }
  function value(v) { return Array.isArray(v) ? v[v.length - 1] : v; }
  // Axis tooltips (bars): the category, then one row per series.
  function axisTip(params) {
    params = [].concat(params);
    return tipNode(params.length ? params[0].name : "", params.map(function (p) {
      return { colour: p.color, label: p.seriesName, value: value(p.value) };
    }));
  }
  // Item tooltips (rings, map points): the item's name and value, with its share if any.
  function itemTip(p) {
    var v = value(p.value);
    if (p.percent !== undefined) { v = v + "（" + p.percent + "%）"; }
    return tipNode("", [{ colour: p.color, label: p.name, value: v }]);
  }
  // The tooltip options every chart uses: HTML render mode (so tests and screen readers can
  // read it), our own escaping formatter, and `confine`, which keeps the tooltip inside the
  // chart and stops ECharts adding its pointer arrow (an HTML string with a style attribute).
  function tooltip(trigger, extra) {
    var t = { trigger: trigger, className: "jc-tooltip", confine: true,
      formatter: trigger === "axis" ? axisTip : itemTip };
    Object.keys(extra || {}).forEach(function (k) { t[k] = extra[k]; });
    return t;
  }
  window.jicengCharts = { tooltip: tooltip, tipNode: tipNode };

  function shortName(n) { return n.replace(/^中共(上海市)?/, "").replace(/(工作)?委员会$/, "委"); }
  function barChart(el, rows) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      tooltip: tooltip("axis"),
      legend: { data: [el.dataset.labelMembers, el.dataset.labelUnplaced] },
      grid: { left: 60, right: 20, bottom: 110, top: 40 },
      xAxis: { type: "category", data: rows.map(function (r) { return shortName(r.name); }), axisLabel: { rotate: 40, interval: 0, fontSize: 11 } },
      yAxis: { type: "value" },
      series: [
        { name: el.dataset.labelMembers, type: "bar", data: rows.map(function (r) { return r.members; }), itemStyle: { color: "#b71c1c" } },
        { name: el.dataset.labelUnplaced, type: "bar", data: rows.map(function (r) { return r.unplaced; }), itemStyle: { color: "#f9a825" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  // One series of bars: rows are [{name, value}], the series is named by data-label-value.
  function simpleBars(el, rows) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      tooltip: tooltip("axis"),
      grid: { left: 50, right: 20, bottom: 90, top: 30 },
      xAxis: { type: "category", data: rows.map(function (r) { return shortName(r.name); }), axisLabel: { rotate: 30, interval: 0, fontSize: 11 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: el.dataset.labelValue, type: "bar", data: rows.map(function (r) { return r.value; }), itemStyle: { color: "#b71c1c" } }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  // Stacked bars: {categories, series: [{name, data, color?}], overdue: [...]} — units per group
  // by phase (campaign dashboards); the overdue counts are a line on the same axis. A series
  // may name its own colour (paired green, unpaired amber), else the phases' colours.
  var phaseColours = ["#9e9e9e", "#1565c0", "#ef6c00", "#6a1b9a", "#2e7d32"];
  function stacked(el, data) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    var series = data.series.map(function (s, i) {
      return { name: s.name, type: "bar", stack: "units", data: s.data, itemStyle: { color: s.color || phaseColours[i % phaseColours.length] } };
    });
    if (data.overdue && el.dataset.labelOverdue) {
      series.push({ name: el.dataset.labelOverdue, type: "line", data: data.overdue, itemStyle: { color: "#b71c1c" }, symbolSize: 6 });
    }
    chart.setOption({
      animation: false,
      tooltip: tooltip("axis", { axisPointer: { type: "shadow" } }),
      legend: { top: 0 },
      grid: { left: 50, right: 20, bottom: 100, top: 40 },
      xAxis: { type: "category", data: data.categories.map(shortName), axisLabel: { rotate: 35, interval: 0, fontSize: 11 } },
      yAxis: { type: "value", minInterval: 1 },
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  // A ring of parts: rows are [{name, value}]. Labels are drawn on the canvas (text, not markup).
  function ring(el, rows) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: tooltip("item"),
      legend: { bottom: 0 },
      color: phaseColours,
      series: [{ type: "pie", radius: ["40%", "70%"], data: rows, label: { formatter: "{b}\n{c}" } }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  var kinds = { bars: simpleBars, stacked: stacked, ring: ring };
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.dataset.chart);
      if (source && window.echarts) {
        var rows = JSON.parse(source.textContent);
        (kinds[el.dataset.chartKind] || barChart)(el, rows);
        el.dataset.ready = "1";
      }
    });
  });
})();
