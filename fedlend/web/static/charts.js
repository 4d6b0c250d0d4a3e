/* fedlend charts: draws every <canvas data-chart="line" data-chart-data='{json}'> with Chart.js,
   which is loaded from this app (body[data-chartjs-url]) only when a page has a chart. */
(function () {
  "use strict";
  var COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563"];

  function options(data) {
    var y = { title: { display: !!data.y_label, text: data.y_label || "" } };
    if (data.y_min !== null && data.y_min !== undefined) { y.min = data.y_min; }
    if (data.y_max !== null && data.y_max !== undefined) { y.max = data.y_max; }
    return {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { display: data.datasets.length > 1, position: "bottom" } },
      scales: { x: { title: { display: !!data.x_label, text: data.x_label || "" } }, y: y }
    };
  }

  function draw(canvas) {
    var data = JSON.parse(canvas.dataset.chartData);
    var datasets = data.datasets.map(function (ds, i) {
      var color = COLORS[i % COLORS.length];
      return {
        label: ds.label, data: ds.data, borderColor: color, backgroundColor: color,
        borderWidth: 2, pointRadius: data.labels.length > 40 ? 0 : 3, tension: 0.15, spanGaps: false
      };
    });
    new window.Chart(canvas, {
      type: "line", data: { labels: data.labels, datasets: datasets }, options: options(data)
    });
    canvas.dataset.chartReady = "1";
  }

  function drawAll(canvases) {
    canvases.forEach(function (canvas) {
      try { draw(canvas); } catch (err) {
        canvas.dataset.chartReady = "error";
        if (window.console) { window.console.error("chart failed", err); }
      }
    });
  }

  var canvases = Array.prototype.slice.call(document.querySelectorAll("canvas[data-chart]"));
  if (!canvases.length) { return; }
  if (window.Chart) { drawAll(canvases); return; }
  var script = document.createElement("script");
  script.src = document.body.dataset.chartjsUrl;
  script.onload = function () { drawAll(canvases); };
  script.onerror = function () {
    canvases.forEach(function (canvas) { canvas.dataset.chartReady = "error"; });
  };
  document.head.appendChild(script);
})();
