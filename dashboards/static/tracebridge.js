// tracebridge pages: draws every server-built plotly figure of the page. Each chart is a
// <div class="chart" data-figure="ID"> next to <script type="application/json" id="ID"> holding the
// figure (data + layout) as JSON. No network access: plotly.js is served by tracebridge itself.
(function () {
  "use strict";
  function draw() {
    var divs = document.querySelectorAll("div[data-figure]");
    var pending = [];
    divs.forEach(function (div) {
      var source = document.getElementById(div.getAttribute("data-figure"));
      if (!source) { return; }
      var figure = JSON.parse(source.textContent);
      var config = { displaylogo: false, responsive: true };
      pending.push(Plotly.newPlot(div, figure.data || [], figure.layout || {}, config).then(function () {
        div.setAttribute("data-ready", "1");
      }));
    });
    Promise.all(pending).then(function () { document.body.setAttribute("data-charts-ready", "1"); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
