/* Draws the bar charts of the dashboard and the reports from the JSON each page carries
   next to its canvas (no inline script): "NAME-chart-data" feeds canvas "NAME-chart". */
(function () {
  "use strict";
  // Colours with at least 3:1 contrast against white (WCAG 1.4.11), told apart by hue.
  var palette = ["#0a58ca", "#b02a37", "#146c43", "#8a5a00", "#6f42c1", "#495057", "#087990"];

  function draw(canvas, data) {
    data.datasets.forEach(function (dataset, index) {
      dataset.backgroundColor = palette[index % palette.length];
    });
    new Chart(canvas, {
      type: "bar",
      data: data,
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }

  if (typeof Chart === "undefined") { return; }
  ["weekly", "report"].forEach(function (name) {
    var source = document.getElementById(name + "-chart-data");
    var canvas = document.getElementById(name + "-chart");
    if (source && canvas) { draw(canvas, JSON.parse(source.textContent)); }
  });
})();
