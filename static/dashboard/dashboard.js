/* Charts of the governance dashboard. The figures come from json_script blocks on the page. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;

  var BRAND = "#1d4e89";
  var COLORS = { physical: "#1d4e89", logical: "#e8a33d", either: "#adb5bd" };
  var FILLS = { physical: "rgba(29, 78, 137, 0.7)", logical: "rgba(232, 163, 61, 0.75)", either: "rgba(173, 181, 189, 0.7)" };
  var SERIES = ["#1d4e89", "#2f9e77", "#e8a33d", "#c2410c"];

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#495057";
  Chart.defaults.maintainAspectRatio = false;
  // Figures to read, not a show: draw at once (also keeps printouts and screenshots complete).
  Chart.defaults.animation = false;

  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function canvas(id) {
    return document.getElementById(id);
  }

  var funnel = data("funnel-data");
  if (funnel && canvas("funnel-chart")) {
    new Chart(canvas("funnel-chart"), {
      type: "bar",
      data: {
        labels: funnel.labels,
        datasets: [{
          label: funnel.label,
          data: funnel.counts,
          backgroundColor: funnel.counts.map(function (_, i) { return "rgba(29, 78, 137, " + (1 - i * 0.15) + ")"; }),
          borderRadius: 3,
        }],
      },
      options: {
        indexAxis: "y",
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { grid: { display: false } } },
      },
    });
  }

  // A dot grows with the number of resources at its spot, within bounds that keep it readable.
  function radius(raw) {
    var count = (raw && raw.count) || 1;
    return Math.min(4 + 2 * Math.sqrt(count - 1), 14);
  }

  var quadrant = data("quadrant-data");
  if (quadrant && canvas("quadrant-chart")) {
    var xs = [quadrant.frequency_threshold], ys = [quadrant.spillover_threshold];
    quadrant.datasets.forEach(function (set) {
      set.points.forEach(function (p) { xs.push(p.x); ys.push(p.y); });
    });
    var xMax = Math.ceil(Math.max.apply(null, xs) * 1.15) + 1;
    var yMax = Math.ceil(Math.max.apply(null, ys) * 1.2) + 1;
    var datasets = quadrant.datasets.map(function (set) {
      return {
        label: set.label,
        data: set.points,
        backgroundColor: FILLS[set.mode],
        borderColor: COLORS[set.mode],
        pointRadius: function (ctx) { return radius(ctx.raw); },
        pointHoverRadius: function (ctx) { return radius(ctx.raw) + 2; },
        // Dots on the axes (unused resources sit at 0, 0) are drawn whole, not cut in half.
        clip: false,
      };
    });
    var threshold = {
      borderColor: "#868e96", borderDash: [6, 4], borderWidth: 1, pointRadius: 0, pointHoverRadius: 0,
      showLine: true, fill: false,
    };
    datasets.push(Object.assign({
      label: quadrant.labels.threshold,
      data: [{ x: quadrant.frequency_threshold, y: 0 }, { x: quadrant.frequency_threshold, y: yMax }],
    }, threshold));
    datasets.push(Object.assign({
      label: quadrant.labels.threshold + " ",
      data: [{ x: 0, y: quadrant.spillover_threshold }, { x: xMax, y: quadrant.spillover_threshold }],
    }, threshold));
    new Chart(canvas("quadrant-chart"), {
      type: "scatter",
      data: { datasets: datasets },
      options: {
        scales: {
          // offset: a margin inside the axes, so the dots at 0 do not cover the tick labels.
          x: { min: 0, max: xMax, offset: true, title: { display: true, text: quadrant.labels.x }, ticks: { precision: 0 } },
          y: { min: 0, max: yMax, offset: true, title: { display: true, text: quadrant.labels.y }, ticks: { precision: 0 } },
        },
        plugins: {
          legend: {
            labels: {
              // One legend entry for the two threshold lines.
              filter: function (item) { return item.text !== quadrant.labels.threshold + " "; },
            },
          },
          tooltip: {
            filter: function (item) { return item.raw && item.raw.count !== undefined; },
            callbacks: {
              label: function (ctx) {
                var p = ctx.raw;
                return ctx.dataset.label + ": " + p.count + " " + quadrant.labels.resources + " (" + p.x + ", " + p.y + ")";
              },
            },
          },
        },
      },
    });
  }

  var status = data("status-data");
  if (status && canvas("status-chart")) {
    new Chart(canvas("status-chart"), {
      type: "bar",
      data: {
        labels: status.labels,
        datasets: [{ label: status.label, data: status.counts, backgroundColor: BRAND, borderRadius: 3 }],
      },
      options: {
        indexAxis: "y",
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { grid: { display: false } } },
      },
    });
  }

  var history = data("history-data");
  if (history) {
    if (canvas("history-chart")) {
      new Chart(canvas("history-chart"), {
        type: "line",
        data: {
          labels: history.labels,
          datasets: history.series.map(function (s, i) {
            return {
              label: s.label, data: s.values, borderColor: SERIES[i % SERIES.length],
              backgroundColor: SERIES[i % SERIES.length], tension: 0.25, spanGaps: true, pointRadius: 2,
            };
          }),
        },
        options: {
          scales: {
            y: { min: 0, max: 100, title: { display: true, text: history.y_label } },
            x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 8 } },
          },
        },
      });
    }
    document.querySelectorAll("canvas.sparkline").forEach(function (node) {
      var values = history.sparklines[node.dataset.department] || [];
      if (!values.some(function (v) { return v !== null; })) return;
      new Chart(node, {
        type: "line",
        data: {
          labels: values.map(function (_, i) { return i; }),
          datasets: [{ data: values, borderColor: BRAND, borderWidth: 1.5, pointRadius: 0, tension: 0.25, spanGaps: true }],
        },
        options: {
          responsive: false, animation: false, events: [],
          plugins: { legend: { display: false }, tooltip: { enabled: false } },
          scales: { x: { display: false }, y: { display: false, min: 0, max: 100 } },
        },
      });
    });
  }
})();
