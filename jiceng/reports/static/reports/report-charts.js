// Charts of a summary report (a bar per child unit for the section's figure; the appendix
// links each unit's figures to their rows) and the print button.
// Data from JSON script elements (no inline script: CSP).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".js-print").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    document.querySelectorAll("[data-report-chart]").forEach(function (el) {
      var source = document.getElementById(el.dataset.reportChart);
      if (!source || !window.echarts) { return; }
      var data = JSON.parse(source.textContent);
      var chart = echarts.init(el, null, { renderer: "canvas" });
      var tip = window.jicengCharts ? window.jicengCharts.tooltip("axis") : { trigger: "axis" };
      var horizontal = data.labels.length > 8;
      var categories = { type: "category", data: data.labels, axisLabel: { interval: 0, fontSize: 11 } };
      var values = { type: "value", name: data.unit, minInterval: 1 };
      if (!horizontal) { categories.axisLabel.rotate = 30; }
      chart.setOption({
        animation: false,
        tooltip: tip,
        grid: { left: horizontal ? 120 : 50, right: 40, bottom: horizontal ? 30 : 80, top: 30 },
        xAxis: horizontal ? values : categories,
        yAxis: horizontal ? Object.assign({}, categories, { inverse: true }) : values,
        series: [{ name: data.title, type: "bar", data: data.values, itemStyle: { color: "#b71c1c" },
                   label: { show: true, position: horizontal ? "right" : "top", fontSize: 10 } }]
      });
      window.addEventListener("resize", function () { chart.resize(); });
      window.addEventListener("beforeprint", function () { chart.resize(); });
      el.dataset.ready = "1";
    });
  });
})();
