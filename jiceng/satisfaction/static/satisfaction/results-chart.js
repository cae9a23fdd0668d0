// Satisfied share per unit as bars, units below the redo line (补课) in red, the line itself
// marked. Data from a JSON script element (no inline script: CSP).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-satisfaction-chart]").forEach(function (el) {
      var source = document.getElementById(el.dataset.satisfactionChart);
      if (!source || !window.echarts) { return; }
      var data = JSON.parse(source.textContent);
      var chart = echarts.init(el, null, { renderer: "canvas" });
      var tip = window.jicengCharts ? window.jicengCharts.tooltip("axis") : { trigger: "axis" };
      // Many units (a sector's hundreds): show 30 at a time with a slider to move along.
      var many = data.rows.length > 30;
      chart.setOption({
        animation: false,
        dataZoom: many ? [{ type: "slider", startValue: 0, endValue: 29, bottom: 0 }] : [],
        tooltip: tip,
        grid: { left: 50, right: 70, bottom: many ? 130 : 100, top: 30 },
        xAxis: { type: "category", data: data.rows.map(function (r) { return r.name; }), axisLabel: { rotate: 35, interval: 0, fontSize: 11 } },
        yAxis: { type: "value", min: 0, max: 100, name: "%" },
        series: [{
          name: data.labelShare,
          type: "bar",
          data: data.rows.map(function (r) {
            return { value: r.value, itemStyle: { color: r.redo ? "#b71c1c" : "#2e7d32" } };
          }),
          markLine: {
            symbol: "none",
            label: { formatter: data.labelThreshold + " {c}%" },
            lineStyle: { color: "#f9a825", type: "dashed" },
            data: [{ yAxis: data.threshold }]
          }
        }]
      });
      window.addEventListener("resize", function () { chart.resize(); });
      el.dataset.ready = "1";
    });
  });
})();
