// The dashboard's map (reports/dashboard.py): district outlines coloured by the figure the
// officer chooses, or a district's sub-units as points; a click opens that unit's dashboard.
// The panel arrives by htmx after the page, so maps are drawn whenever new content settles.
// Data from a json_script block (no inline script: CSP); the outlines fetched once; tooltips
// through window.jicengCharts (core/charts.js, loaded before this file).
(function () {
  "use strict";
  var outlines = {};

  function outline(url) {
    if (!outlines[url]) {
      outlines[url] = fetch(url, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) { throw new Error(String(r.status)); }
        return r.json();
      });
    }
    return outlines[url];
  }

  function isNumber(v) { return typeof v === "number" && isFinite(v); }

  function format(measure, v) {
    if (!isNumber(v)) { return "—"; }
    return measure.share ? v.toFixed(1) + "%" : v.toLocaleString("zh-CN") + " " + measure.unit;
  }

  // The outline as the map draws it: each region named by the 2005 district it belongs to
  // (the server's `features`, by the file's order), only the focused district below the city.
  function register(geo, data) {
    var features = geo.features.map(function (f, i) {
      return { type: f.type, geometry: f.geometry, properties: { name: data.features[i] || "f" + i } };
    });
    var name = "jiceng-dashboard-all";
    if (isNumber(data.focus) && features[data.focus]) {
      features = [features[data.focus]];
      name = "jiceng-dashboard-" + data.focus;
    }
    echarts.registerMap(name, { type: "FeatureCollection", features: features });
    return { name: name, bounds: name === "jiceng-dashboard-all" ? null : bounds(features, data.points) };
  }

  // [[west, north], [east, south]] around the focused outline and the points (a unit's
  // coordinates may lie a little outside today's outline), for geo.boundingCoords.
  function bounds(features, points) {
    var box = [Infinity, -Infinity, -Infinity, Infinity];
    function add(c) {
      box[0] = Math.min(box[0], c[0]); box[2] = Math.max(box[2], c[0]);
      box[1] = Math.max(box[1], c[1]); box[3] = Math.min(box[3], c[1]);
    }
    function walk(c) { if (typeof c[0] === "number") { add(c); } else { c.forEach(walk); } }
    features.forEach(function (f) { walk(f.geometry.coordinates); });
    points.forEach(function (p) { add(p.coord); });
    if (!isFinite(box[0])) { return null; }
    var padX = (box[2] - box[0]) * 0.08 || 0.01, padY = (box[1] - box[3]) * 0.08 || 0.01;
    return [[box[0] - padX, box[1] + padY], [box[2] + padX, box[3] - padY]];
  }

  function option(data, map, measure) {
    var key = measure.key;
    var values = [];
    var areas = data.areas.map(function (a) {
      var v = a.values[key];
      if (isNumber(v)) { values.push(v); }
      return { name: a.name, value: isNumber(v) ? v : "-", label: a.label, href: a.href };
    });
    var points = data.points.map(function (p) {
      var v = p.values[key];
      if (isNumber(v)) { values.push(v); }
      return { name: p.label, value: [p.coord[0], p.coord[1], isNumber(v) ? v : "-"], label: p.label, href: p.href };
    });
    var lo = values.length ? Math.min.apply(null, values) : 0;
    var hi = values.length ? Math.max.apply(null, values) : 1;
    if (hi === lo) { hi = lo + 1; }
    var tips = window.jicengCharts;
    var geo = {
      map: map.name, roam: true, layoutCenter: ["50%", "48%"], layoutSize: "92%",
      itemStyle: { areaColor: "#f7f3ee", borderColor: "#a89f94" },
      emphasis: { label: { show: false }, itemStyle: { areaColor: "#ffe082" } }
    };
    if (map.bounds) { geo.boundingCoords = map.bounds; }
    return {
      animation: false,
      tooltip: tips.tooltip("item", {
        formatter: function (p) {
          if (!p.data) { return ""; }
          var v = Array.isArray(p.data.value) ? p.data.value[2] : p.data.value;
          return tips.tipNode(p.data.label, [{ colour: p.color, label: measure.label, value: format(measure, v) }]);
        }
      }),
      visualMap: {
        type: "continuous", min: lo, max: hi, calculable: false, orient: "horizontal",
        left: 10, bottom: 10, itemHeight: 120,
        text: [format(measure, hi), format(measure, lo)],
        inRange: { color: ["#fbe3d6", "#e57373", "#8e0000"] },
        outOfRange: { color: "#dddddd" }
      },
      geo: geo,
      series: [
        { type: "map", geoIndex: 0, data: areas },
        { type: "scatter", coordinateSystem: "geo", data: points, cursor: "pointer",
          symbolSize: function (v) { return isNumber(v[2]) ? 10 + 22 * Math.sqrt((v[2] - lo) / (hi - lo)) : 8; },
          itemStyle: { borderColor: "#5d4037", borderWidth: 1, opacity: 0.9 } }
      ]
    };
  }

  function draw(el) {
    if (el.dataset.drawn) { return; }
    el.dataset.drawn = "1";
    var source = document.getElementById(el.dataset.dashboardMap);
    var select = document.getElementById(el.dataset.measureSelect);
    if (!source || !select || !window.echarts || !window.jicengCharts) { return; }
    var data = JSON.parse(source.textContent);
    var hrefs = {};
    data.areas.forEach(function (a) { hrefs[a.name] = a.href; });
    outline(el.dataset.outlineUrl).then(function (geo) {
      var map = register(geo, data);
      var chart = echarts.init(el, null, { renderer: "canvas" });
      var render = function () {
        var measure = data.measures.filter(function (m) { return m.key === select.value; })[0] || data.measures[0];
        chart.setOption(option(data, map, measure), true);
        el.dataset.measure = measure.key;
      };
      render();
      select.addEventListener("change", render);
      // A region (series or geo component) or a point opens its unit's dashboard.
      chart.on("click", function (p) {
        var href = (p.data && p.data.href) || hrefs[p.name];
        if (typeof href === "string" && href.charAt(0) === "/") { window.location.assign(href); }
      });
      window.addEventListener("resize", function () {
        if (document.body.contains(el)) { chart.resize(); }
      });
      el.dataset.ready = "1";
    }).catch(function () { el.classList.add("d-none"); });
  }

  function scan(root) {
    (root || document).querySelectorAll("[data-dashboard-map]").forEach(draw);
  }
  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.elt;
    scan(target && target.querySelectorAll ? target : document);
  });
})();
