// Report charts: every <canvas data-chart="id"> draws the JSON of the <script id="id"> beside it (json_script).
// The table next to each chart holds the same figures, for reading and for screen readers.
const PALETTE = ["#0d6efd", "#dc3545", "#198754", "#fd7e14", "#6f42c1", "#20c997"];

function drawChart(canvas) {
  const source = document.getElementById(canvas.dataset.chart);
  if (!source || typeof Chart === "undefined") return;
  const spec = JSON.parse(source.textContent);
  const datasets = spec.datasets.map((dataset, index) => ({
    ...dataset,
    borderColor: PALETTE[index % PALETTE.length],
    backgroundColor: PALETTE[index % PALETTE.length] + (spec.type === "line" ? "33" : "cc"),
    tension: 0.2,
    spanGaps: true,
  }));
  new Chart(canvas, {
    type: spec.type,
    data: { labels: spec.labels, datasets },
    options: {
      maintainAspectRatio: false,
      animation: false,
      scales: { x: { stacked: spec.stacked }, y: { stacked: spec.stacked, beginAtZero: true } },
      plugins: { legend: { position: "bottom" } },
    },
  });
}

document.querySelectorAll("canvas[data-chart]").forEach(drawChart);
