/* tethers world view: /api/world (one measure for every country) as a choropleth on the shipped Natural Earth
   geometry (static/world110.geojson, no base map is fetched) and a table sorted by value. Same-origin only. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var statusEl = $("status"), form = $("controls"), geometry = null, seq = 0;

  function setStatus(state, text) { statusEl.setAttribute("data-state", state); statusEl.textContent = text; }

  function getJSON(url) {
    return fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"}).then(function (r) {
      return r.json().then(function (body) { return {ok: r.ok, status: r.status, body: body}; },
                           function () { return {ok: false, status: r.status, body: {error: "HTTP " + r.status}}; });
    });
  }

  function measure() {
    var k = $("kind").value;
    return k === "balance" ? k : k + ":" + $("pole").value;
  }

  function fmtValue(v, unit) {
    if (v === null || v === undefined) { return "–"; }
    return unit === "share" ? (100 * v).toFixed(1) + " %" : v.toFixed(3);
  }

  function fmtUSD(v) {
    if (v === null || v === undefined) { return "–"; }
    var a = Math.abs(v);
    if (a >= 1e12) { return (v / 1e12).toFixed(2) + " tn"; }
    if (a >= 1e9) { return (v / 1e9).toFixed(2) + " bn"; }
    if (a >= 1e6) { return (v / 1e6).toFixed(2) + " m"; }
    return Math.round(v).toLocaleString("en");
  }

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) { td.className = cls; }
    tr.appendChild(td);
    return td;
  }

  function table(res) {
    var body = $("world-table").querySelector("tbody");
    body.textContent = "";
    var n = 0;
    res.rows.forEach(function (r) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-iso3", r.iso3);
      tr.setAttribute("data-status", r.status);
      if (r.value !== null) { tr.setAttribute("data-value", String(r.value)); n += 1; }
      cell(tr, r.value !== null ? String(n) : "", "num");
      cell(tr, r.name + " (" + r.iso3 + ")", "txt");
      cell(tr, fmtValue(r.value, res.unit), "num");
      cell(tr, r.status, "txt");
      cell(tr, res.unit === "share" ? fmtUSD(r.level)
                                    : (r.coverage === null ? "–" : Math.round(100 * r.coverage) + " % of weight"), "num");
      var last = cell(tr, r.status === "ok" ? r.basis.split(",")[0] : r.reason, "txt");
      last.title = r.basis || "";
      body.appendChild(tr);
    });
  }

  function map(res) {
    var ok = res.rows.filter(function (r) { return r.value !== null; });
    var other = res.rows.filter(function (r) { return r.value === null; });
    var listed = {};
    res.rows.forEach(function (r) { listed[r.iso3] = true; });
    var absent = geometry.features.filter(function (f) { return !listed[f.properties.iso3]; });
    var share = res.unit === "share";
    var base = {type: "choropleth", geojson: geometry, featureidkey: "properties.iso3", locationmode: "geojson-id",
                marker: {line: {color: "#ffffff", width: 0.4}}, hoverinfo: "text"};
    var data = [
      Object.assign({}, base, {
        name: "not in the atlas", locations: absent.map(function (f) { return f.properties.iso3; }),
        z: absent.map(function () { return 0; }), text: absent.map(function (f) { return f.properties.name + ": not in the atlas"; }),
        colorscale: [[0, "#eeeeee"], [1, "#eeeeee"]], showscale: false}),
      Object.assign({}, base, {
        name: "no value", locations: other.map(function (r) { return r.iso3; }),
        z: other.map(function () { return 0; }),
        text: other.map(function (r) { return r.name + ": " + r.status + (r.reason ? " — " + r.reason : ""); }),
        colorscale: [[0, "#c4c8cc"], [1, "#c4c8cc"]], showscale: false}),
      Object.assign({}, base, {
        name: res.label, locations: ok.map(function (r) { return r.iso3; }),
        z: ok.map(function (r) { return share ? 100 * r.value : r.value; }),
        text: ok.map(function (r) { return r.name + ": " + fmtValue(r.value, res.unit) + " (" + r.basis.split(",")[0] + ")"; }),
        colorscale: "Viridis", reversescale: true, zmin: share ? 0 : undefined,
        colorbar: {title: {text: share ? "%" : "index"}, thickness: 14}})
    ];
    var layout = {
      margin: {l: 0, r: 0, t: 4, b: 0}, height: 520, showlegend: false,
      geo: {projection: {type: "natural earth"}, showframe: false, showcoastlines: false, showcountries: false,
            showland: false, showocean: false, showlakes: false, showrivers: false, showsubunits: false,
            lataxis: {range: [-58, 84]}, bgcolor: "rgba(0,0,0,0)"}
    };
    // Plotly's geo plot asks for its base-map topojson (from a CDN) whenever a trace has a locationmode, even
    // with every base layer hidden; the map here is the shipped GeoJSON, so give it an empty topology instead
    // (and a same-origin topojsonURL): nothing leaves this machine.
    var assets = window.PlotlyGeoAssets || (window.PlotlyGeoAssets = {});
    assets.topojson = assets.topojson || {};
    if (!assets.topojson.world_110m) { assets.topojson.world_110m = {type: "Topology", objects: {}, arcs: []}; }
    return Plotly.react($("world-map"), data, layout, {displaylogo: false, responsive: true, topojsonURL: "static/"});
  }

  function update() {
    var m = measure(), y = $("year").value, mine = ++seq;
    $("pole").disabled = $("kind").value === "balance";
    setStatus("loading", "Computing " + m + " for every country, " + y + " …");
    var q = new URLSearchParams({measure: m, year: y});
    return getJSON("api/world?" + q.toString()).then(function (res) {
      if (mine !== seq) { return; }
      if (!res.ok) { setStatus("error", res.body.error || ("HTTP " + res.status)); return; }
      var b = res.body;
      $("world-title").textContent = b.label + ", " + b.year;
      $("world-counts").textContent = Object.keys(b.counts).map(function (k) {
        return (k === "coverage unknown" ? "unknown" : k) + ": " + b.counts[k];
      }).join(" · ") + " (countries: " + b.rows.length + ")";
      $("world-definition").textContent = b.definition;
      table(b);
      return map(b).then(function () {
        if (mine !== seq) { return; }
        $("view").setAttribute("data-measure", b.measure);
        setStatus("ready", b.label + " (" + b.measure + "), " + b.year);
        history.replaceState(null, "", "?" + q.toString());
      });
    }).catch(function (err) { if (mine === seq) { setStatus("error", String(err)); } });
  }

  function init(opts, geo) {
    geometry = geo;
    var sel = $("pole");
    opts.poles.forEach(function (p) {
      var o = document.createElement("option"); o.value = p.id; o.textContent = p.label; sel.appendChild(o);
    });
    $("year").min = opts.years.min; $("year").max = opts.years.max;
    var url = new URLSearchParams(location.search);
    var want = url.get("measure") || "import_share:RUS", parts = want.split(":");
    $("kind").value = parts[0] === "balance" ? "balance" : parts[0];
    if (parts[1]) {
      if (!Array.prototype.some.call(sel.options, function (o) { return o.value === parts[1]; })) {
        var o = document.createElement("option"); o.value = parts[1]; o.textContent = parts[1]; sel.appendChild(o);
      }
      sel.value = parts[1];
    }
    $("year").value = url.get("year") || 2021;
    form.addEventListener("change", function () { update(); });
    form.addEventListener("submit", function (e) { e.preventDefault(); update(); });
    return update();
  }

  Promise.all([getJSON("api/options"), fetch("static/world110.geojson", {credentials: "same-origin"}).then(function (r) {
    if (!r.ok) { throw new Error("map geometry: HTTP " + r.status); }
    return r.json();
  })]).then(function (res) {
    if (!res[0].ok) { setStatus("error", res[0].body.error || "cannot load options"); return; }
    return init(res[0].body, res[1]);
  }).catch(function (err) { setStatus("error", String(err)); });
})();
