/* Draws the dashboard's weekly complaints chart from the JSON the page carries (no inline script). */
(function () {
  "use strict";
  var source = document.getElementById("weekly-chart-data");
  var canvas = document.getElementById("weekly-chart");
  if (!source || !canvas || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  // Colours with at least 3:1 contrast against white (WCAG 1.4.11), told apart by hue.
  var palette = ["#0a58ca", "#b02a37", "#146c43", "#8a5a00", "#6f42c1", "#495057", "#087990"];
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
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { position: "bottom" } }
    }
  });
})();
