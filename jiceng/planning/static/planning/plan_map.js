// Plan maps: members' homes, the plan's branches and the lines between them, drawn with the
// vendored ECharts over Shanghai's district outlines (no inline script: data comes by fetch).
// Needs core/charts.js (loaded before it) for the escaping tooltip.
(function () {
  var palette = ["#b71c1c", "#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457",
    "#4e342e", "#283593", "#558b2f", "#f9a825", "#37474f"];
  var outline = null;
  var charts = [];

  function json(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error(url + " " + r.status); }
      return r.json();
    });
  }

  function bounds(data) {
    var lng = [], lat = [];
    data.homes.forEach(function (h) { lng.push(h[0]); lat.push(h[1]); });
    data.branches.forEach(function (b) { lng.push(b.lng); lat.push(b.lat); });
    if (!lng.length) { return null; }
    var x0 = Math.min.apply(null, lng), x1 = Math.max.apply(null, lng);
    var y0 = Math.min.apply(null, lat), y1 = Math.max.apply(null, lat);
    var pad = Math.max(x1 - x0, y1 - y0, 0.05) * 0.08;
    return [[x0 - pad, y1 + pad], [x1 + pad, y0 - pad]];
  }

  function option(el, data) {
    var byIndex = {};
    data.branches.forEach(function (b) { byIndex[b.i] = b; });
    // A pairing plan's unpaired people have no branch (index -1): grey, without a line.
    var colour = function (i) { return i < 0 ? "#9e9e9e" : palette[i % palette.length]; };
    var homes = data.homes.map(function (h) {
      return { value: [h[0], h[1]], itemStyle: { color: colour(h[2]) } };
    });
    var lines = data.homes.length > 2500 ? [] : data.homes.filter(function (h) {
      return byIndex[h[2]] !== undefined;
    }).map(function (h) {
      var b = byIndex[h[2]];
      return { coords: [[h[0], h[1]], [b.lng, b.lat]], lineStyle: { color: colour(h[2]) } };
    });
    var geo = { map: "shanghai", roam: true, itemStyle: { areaColor: "#f7f3ee", borderColor: "#a89f94" },
      label: { show: true, fontSize: 10, color: "#9e9e9e" }, emphasis: { disabled: true } };
    var box = bounds(data);
    if (box) { geo.boundingCoords = box; }
    return {
      animation: false,
      // Branch names are shown as text (jicengCharts builds DOM nodes with textContent).
      tooltip: jicengCharts.tooltip("item", { formatter: function (p) {
        if (p.seriesIndex !== 2) { return ""; }
        return jicengCharts.tipNode("", [{ colour: p.color, label: p.data.name, value: p.data.value[2] }]);
      } }),
      geo: geo,
      series: [
        { type: "lines", coordinateSystem: "geo", data: lines, silent: true,
          lineStyle: { width: 0.6, opacity: 0.35 } },
        { name: el.dataset.labelHomes, type: "scatter", coordinateSystem: "geo", data: homes,
          symbolSize: 3, silent: true },
        { name: el.dataset.labelBranches, type: "scatter", coordinateSystem: "geo", z: 3,
          data: data.branches.map(function (b) {
            return { name: b.name, value: [b.lng, b.lat, b.size],
              itemStyle: { color: colour(b.i), borderColor: "#212121", borderWidth: 1 } };
          }),
          symbolSize: function (v) { return 7 + Math.sqrt(v[2]) * 1.6; } }
      ]
    };
  }

  function draw(el) {
    var outlineReady = outline || (outline = json(el.dataset.outlineUrl).then(function (geo) {
      echarts.registerMap("shanghai", geo);
    }));
    Promise.all([outlineReady, json(el.dataset.mapUrl)]).then(function (res) {
      var chart = echarts.getInstanceByDom(el) || echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option(el, res[1]), true);
      if (charts.indexOf(chart) < 0) { charts.push(chart); }
      el.dataset.ready = "1";
      el.dataset.homes = String(res[1].homes.length);
      el.dataset.branches = String(res[1].branches.length);
    }).catch(function () { el.dataset.ready = "error"; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".plan-map[data-map-url]").forEach(draw);
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
    // A member moved to another branch (htmx sends HX-Trigger: plan-changed): redraw.
    document.body.addEventListener("plan-changed", function () {
      document.querySelectorAll(".plan-map[data-map-url]").forEach(draw);
    });
  });
})();
