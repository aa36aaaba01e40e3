// The principal's charts on the admin index: data from the json_script blocks of the page.
(function () {
  "use strict";
  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : [];
  }
  function draw(canvas, type, labels, values, label) {
    var node = document.getElementById(canvas);
    if (!node || typeof Chart === "undefined") return;
    new Chart(node, {
      type: type,
      data: { labels: labels, datasets: [{ label: label, data: values }] },
      options: { responsive: true, plugins: { legend: { display: false } } },
    });
  }
  var attendance = data("chart-attendance-data");
  draw("chart-attendance", "line", attendance.map(function (p) { return p.date; }),
       attendance.map(function (p) { return p.percentage; }), "%");
  var fees = data("chart-fees-data");
  draw("chart-fees", "bar", fees.map(function (p) { return p.date; }),
       fees.map(function (p) { return p.amount; }), "₹");
  var performance = data("chart-performance-data");
  draw("chart-performance", "bar", performance.map(function (p) { return p.band; }),
       performance.map(function (p) { return p.students; }), "");
})();
