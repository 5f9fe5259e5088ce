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

  // A geo figure (the report's world map) is drawn from the GeoJSON it carries; Plotly still asks for its base-map
  // topojson (from a CDN) whenever a trace has a locationmode, so give it an empty topology: nothing leaves this
  // machine (the dashboard's World page does the same).
  var assets = window.PlotlyGeoAssets || (window.PlotlyGeoAssets = {});
  assets.topojson = assets.topojson || {};
  if (!assets.topojson.world_110m) { assets.topojson.world_110m = {type: "Topology", objects: {}, arcs: []}; }

  var embedded = document.getElementById("tethers-data");
  if (embedded) {
    var payload = JSON.parse(embedded.textContent);
    window.tethersData = payload;
    // sections added after the report was rendered (report --world) carry their figures with them
    var figures = Object.assign({}, payload.figures);
    document.querySelectorAll('script[type="application/json"][data-figures]').forEach(function (el) {
      Object.assign(figures, JSON.parse(el.textContent));
    });
    render(document.body, figures);
  }
})();
