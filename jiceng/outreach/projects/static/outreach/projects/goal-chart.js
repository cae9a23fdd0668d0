// A goal's measurements over time (S28): a line from the measured values, with the baseline
// and the target as marked lines. Data from a JSON script element (no inline script: CSP).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-goal-chart]").forEach(function (el) {
      var source = document.getElementById(el.dataset.goalChart);
      if (!source || !window.echarts) { return; }
      var data = JSON.parse(source.textContent);
      var chart = echarts.init(el, null, { renderer: "canvas" });
      var tip = window.jicengCharts ? window.jicengCharts.tooltip("axis") : { trigger: "axis" };
      chart.setOption({
        animation: false,
        tooltip: tip,
        grid: { left: 60, right: 70, bottom: 40, top: 30 },
        xAxis: { type: "time" },
        yAxis: { type: "value", name: data.unit, scale: true },
        series: [{
          name: data.measure,
          type: "line",
          data: data.points.map(function (p) { return [p.date, p.value]; }),
          itemStyle: { color: "#b71c1c" },
          symbolSize: 7,
          markLine: {
            symbol: "none",
            label: { formatter: "{b} {c}" },
            data: [
              { name: el.dataset.labelBaseline, yAxis: data.baseline, lineStyle: { color: "#9e9e9e" } },
              { name: el.dataset.labelTarget, yAxis: data.target, lineStyle: { color: "#2e7d32" } }
            ]
          }
        }]
      });
      window.addEventListener("resize", function () { chart.resize(); });
      el.dataset.ready = "1";
    });
  });
})();
