/* tethers dashboard: fill the controls from /api/options, then fetch /api/view and swap in the sections
   (the same HTML fragment and figures as the report). Same-origin requests only. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var form = $("controls"), statusEl = $("status"), view = $("view");
  var seq = 0;

  function setStatus(state, text) {
    statusEl.setAttribute("data-state", state);
    statusEl.textContent = text;
  }

  function option(value, label) {
    var o = document.createElement("option");
    o.value = value; o.textContent = label;
    return o;
  }

  function params() {
    var p = new URLSearchParams();
    p.set("country", $("country").value);
    p.set("start", $("start").value);
    p.set("end", $("end").value);
    var poles = Array.prototype.map.call(form.querySelectorAll("input[name=pole]:checked"), function (e) { return e.value; });
    p.set("poles", poles.join(","));
    if ($("scenario").value) { p.set("scenario", $("scenario").value); }
    if ($("options").value) {
      p.set("options", $("options").value);
      if ($("budget").value) { p.set("budget", $("budget").value); }
    }
    return p;
  }

  function getJSON(url) {
    return fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"}).then(function (r) {
      return r.json().then(function (body) { return {ok: r.ok, status: r.status, body: body}; },
                           function () { return {ok: false, status: r.status, body: {error: "HTTP " + r.status}}; });
    });
  }

  function update() {
    var p = params(), mine = ++seq;
    statusEl.removeAttribute("data-country");
    setStatus("loading", "Computing " + p.get("country") + ", " + p.get("start") + "–" + p.get("end") + " …");
    return getJSON("api/view?" + p.toString()).then(function (res) {
      if (mine !== seq) { return; }
      if (!res.ok) { setStatus("error", res.body.error || ("HTTP " + res.status)); return; }
      view.innerHTML = res.body.html;
      return window.tethersRender(view, res.body.figures).then(function () {
        if (mine !== seq) { return; }
        var m = res.body.meta;
        statusEl.setAttribute("data-country", m.country);
        setStatus("ready", m.name + " (" + m.country + "), focal year " + m.year + ", series " + m.start + "–" + m.end);
        history.replaceState(null, "", "?" + p.toString());
      });
    }).catch(function (err) { if (mine === seq) { setStatus("error", String(err)); } });
  }

  function init(opts) {
    var sel = $("country");
    opts.countries.forEach(function (c) { sel.appendChild(option(c.iso3, c.name + " (" + c.iso3 + ")")); });
    var box = $("poles");
    opts.poles.forEach(function (p) {
      var l = document.createElement("label"), i = document.createElement("input");
      i.type = "checkbox"; i.name = "pole"; i.value = p.id; i.checked = true;
      l.appendChild(i); l.appendChild(document.createTextNode(p.label));
      box.appendChild(l);
    });
    opts.scenarios.forEach(function (s) { $("scenario").appendChild(option(s, s)); });
    (opts.options || []).forEach(function (s) { $("options").appendChild(option(s, s)); });
    $("budget").max = opts.max_budget;
    ["start", "end"].forEach(function (k) { $(k).min = opts.years.min; $(k).max = opts.years.max; });
    var url = new URLSearchParams(location.search), d = opts.defaults;
    sel.value = url.get("country") || d.country;
    $("start").value = url.get("start") || d.start;
    $("end").value = url.get("end") || d.end;
    if (url.get("poles")) {
      var want = url.get("poles").split(",");
      form.querySelectorAll("input[name=pole]").forEach(function (i) { i.checked = want.indexOf(i.value) >= 0; });
    }
    if (url.get("scenario")) { $("scenario").value = url.get("scenario"); }
    if (url.get("options")) { $("options").value = url.get("options"); }
    if (url.get("budget")) { $("budget").value = url.get("budget"); }
    form.addEventListener("change", function () { update(); });
    form.addEventListener("submit", function (e) { e.preventDefault(); update(); });
    return update();
  }

  getJSON("api/options").then(function (res) {
    if (!res.ok) { setStatus("error", res.body.error || "cannot load options"); return; }
    return init(res.body);
  }).catch(function (err) { setStatus("error", String(err)); });
})();
