/*
 * Support dashboard charts (templates/admin/dashboard.html). Needs Chart.js first
 * (static/vendor/chartjs/chart.umd.min.js, window.Chart).
 *
 * The figures come from the "dashboard-charts" JSON element, one entry per chart:
 *   {name, labels, datasets: [{label, data}], axis, stacked?, horizontal?, integer?, max?}
 * and each is drawn on <canvas data-chart="name">. The tables stay: the charts are an
 * enhancement, and only a long per-day table (<details data-fold-when-charted>) is folded.
 */
(function () {
  "use strict";

  var Chart = window.Chart;
  var source = document.getElementById("dashboard-charts");
  if (!Chart || !source) {
    return;
  }
  var charts;
  try {
    charts = JSON.parse(source.textContent) || [];
  } catch (error) {
    return;
  }

  // Okabe and Ito's palette: told apart with the common colour-vision deficiencies.
  var PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#999999", "#f0e442"];
  var narrow = window.matchMedia("(max-width: 767px)").matches;
  var reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  // Text and grid lines follow the admin's light or dark theme.
  var bodyStyle = window.getComputedStyle(document.body);
  Chart.defaults.color = bodyStyle.color;
  Chart.defaults.font.family = bodyStyle.fontFamily;
  Chart.defaults.borderColor = bodyStyle.getPropertyValue("--hairline-color").trim() || "rgba(128, 128, 128, 0.25)";
  if (reducedMotion) {
    Chart.defaults.animation = false;
  }

  function aspectRatio(spec) {
    if (spec.horizontal) {
      return narrow ? 0.9 : 2.6;
    }
    return narrow ? 1.1 : 3;
  }

  function draw(spec) {
    var canvas = document.querySelector("canvas[data-chart='" + spec.name + "']");
    if (!canvas) {
      return;
    }
    var valueAxis = {
      beginAtZero: true,
      stacked: Boolean(spec.stacked),
      title: {display: Boolean(spec.axis), text: spec.axis || ""}
    };
    if (spec.integer) {
      valueAxis.ticks = {precision: 0};
    }
    if (spec.max) {
      valueAxis.max = spec.max;
    }
    var categoryAxis = {stacked: Boolean(spec.stacked)};
    var scales = spec.horizontal ? {x: valueAxis, y: categoryAxis} : {x: categoryAxis, y: valueAxis};

    var box = canvas.closest("[data-chart-box]");
    if (box) {
      box.hidden = false;
    }
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (dataset, index) {
          return {
            label: dataset.label,
            data: dataset.data,
            backgroundColor: PALETTE[index % PALETTE.length],
            borderWidth: 0
          };
        })
      },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        aspectRatio: aspectRatio(spec),
        interaction: {mode: "index", intersect: false},
        plugins: {legend: {position: "bottom"}},
        scales: scales
      }
    });

    var section = canvas.closest("section");
    var table = section && section.querySelector("details[data-fold-when-charted]");
    if (table) {
      table.open = false;
    }
  }

  charts.forEach(function (spec) {
    try {
      draw(spec);
    } catch (error) {
      // A chart that cannot be drawn leaves its table, which holds the same figures.
      if (window.console) {
        window.console.error(error);
      }
    }
  });
})();
