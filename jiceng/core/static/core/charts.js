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
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.dataset.chart);
      if (source && window.echarts) {
        var rows = JSON.parse(source.textContent);
        if (el.dataset.chartKind === "bars") { simpleBars(el, rows); } else { barChart(el, rows); }
      }
    });
  });
})();
