// Charts drawn with the vendored Apache ECharts; data comes from json_script blocks, so no
// inline script is needed (the Content-Security-Policy forbids it).
(function () {
  function barChart(el, rows) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    var names = rows.map(function (r) { return r.name.replace(/^中共(上海市)?/, "").replace(/(工作)?委员会$/, "委"); });
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: [el.dataset.labelMembers, el.dataset.labelUnplaced] },
      grid: { left: 60, right: 20, bottom: 110, top: 40 },
      xAxis: { type: "category", data: names, axisLabel: { rotate: 40, interval: 0, fontSize: 11 } },
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
    var names = rows.map(function (r) { return r.name.replace(/^中共(上海市)?/, "").replace(/(工作)?委员会$/, "委"); });
    chart.setOption({
      tooltip: { trigger: "axis" },
      grid: { left: 50, right: 20, bottom: 90, top: 30 },
      xAxis: { type: "category", data: names, axisLabel: { rotate: 30, interval: 0, fontSize: 11 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: el.dataset.labelValue, type: "bar", data: rows.map(function (r) { return r.value; }), itemStyle: { color: "#b71c1c" } }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function shortName(n) { return n.replace(/^中共(上海市)?/, "").replace(/(工作)?委员会$/, "委"); }
  // Stacked bars: {categories, series: [{name, data}], overdue: [...]} — units per group by
  // phase (campaign dashboards); the overdue counts are a line on the same axis.
  var phaseColours = ["#9e9e9e", "#1565c0", "#ef6c00", "#6a1b9a", "#2e7d32"];
  function stacked(el, data) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    var series = data.series.map(function (s, i) {
      return { name: s.name, type: "bar", stack: "units", data: s.data, itemStyle: { color: phaseColours[i % phaseColours.length] } };
    });
    if (data.overdue && el.dataset.labelOverdue) {
      series.push({ name: el.dataset.labelOverdue, type: "line", data: data.overdue, itemStyle: { color: "#b71c1c" }, symbolSize: 6 });
    }
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 50, right: 20, bottom: 100, top: 40 },
      xAxis: { type: "category", data: data.categories.map(shortName), axisLabel: { rotate: 35, interval: 0, fontSize: 11 } },
      yAxis: { type: "value", minInterval: 1 },
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  // A ring of parts: rows are [{name, value}].
  function ring(el, rows) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
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
      }
    });
  });
})();
