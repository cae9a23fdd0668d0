// Hot spots of petitions by street over Shanghai's district outlines, drawn with the vendored
// ECharts (no inline script: the points come from a json_script block, the outline by fetch).
// Needs core/charts.js (loaded before it) for the escaping tooltip.
(function () {
  function draw(el) {
    var source = document.getElementById(el.dataset.points);
    if (!source) { return; }
    var points = JSON.parse(source.textContent);
    fetch(el.dataset.outlineUrl, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error(r.status); }
      return r.json();
    }).then(function (outline) {
      echarts.registerMap("shanghai-petitions", outline);
      var most = points.reduce(function (m, p) { return Math.max(m, p.value[2]); }, 1);
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption({
        tooltip: window.jicengCharts.tooltip("item", {
          formatter: function (p) {
            return window.jicengCharts.tipNode("", [{ colour: p.color, label: p.name, value: p.value[2] }]);
          }
        }),
        geo: { map: "shanghai-petitions", roam: true,
          itemStyle: { areaColor: "#f7f3ee", borderColor: "#a89f94" } },
        series: [{ name: el.dataset.label, type: "scatter", coordinateSystem: "geo", data: points,
          symbolSize: function (v) { return 8 + 30 * Math.sqrt(v[2] / most); },
          itemStyle: { color: "#b71c1c", opacity: 0.75 } }]
      });
      window.addEventListener("resize", function () { chart.resize(); });
    }).catch(function () { el.classList.add("d-none"); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-hotspot-map]").forEach(draw);
  });
})();
