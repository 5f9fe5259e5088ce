/* tethers: draw the figures of a report view with Plotly.js (shared by the report and the dashboard).
   The report embeds its data in <script type="application/json" id="tethers-data">; the dashboard
   calls window.tethersRender(root, figures) after each API response. No network access. */
(function () {
  "use strict";
  var CONFIG = {displaylogo: false, responsive: true, showLink: false, showSendToCloud: false,
                modeBarButtonsToRemove: ["sendDataToCloud", "lasso2d", "select2d"]};

  function render(root, figures) {
    var done = [];
    root.querySelectorAll("[data-figure]").forEach(function (el) {
      var fig = figures[el.getAttribute("data-figure")];
      if (!fig) { return; }
      var cfg = Object.assign({}, CONFIG, {toImageButtonOptions: {filename: "tethers-" + el.getAttribute("data-figure")}});
      done.push(Plotly.newPlot(el, fig.data, fig.layout, cfg));
    });
    return Promise.all(done).then(function () {
      root.setAttribute("data-rendered", String(done.length));
    });
  }
  window.tethersRender = render;

  var embedded = document.getElementById("tethers-data");
  if (embedded) {
    var payload = JSON.parse(embedded.textContent);
    window.tethersData = payload;
    render(document.body, payload.figures);
  }
})();
