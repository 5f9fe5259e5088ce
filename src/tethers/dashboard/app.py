"""The local dashboard: a small WSGI application over the atlas (read-only), served by the standard library.

The page (``static/index.html`` + ``dashboard.js``) lets a user pick a country, a span of years, the
poles and a scenario; it calls the JSON API and swaps in the same section fragment and figures as the
HTML report (:func:`tethers.report.html.render_sections`, :mod:`tethers.report.charts`).

Endpoints (GET only)::

    /                      the page
    /static/<name>         an allow-listed asset (page script and styles, Plotly.js from the plotly package)
    /api/options           countries, poles, scenarios, defaults
    /api/profile           ?country=KAZ&year=2021            the profile (tethers.analysis.profile) as JSON
    /api/view              ?country=KAZ&start=1992&end=2021[&year=][&poles=RUS,CHN,…][&scenario=name]
                           [&options=name[&budget=USD]]   strategic options: each alone + best mix within budget
    /api/world             ?measure=import_share:RUS&year=2021   one measure for every country
                           (tethers.analysis.world), sorted, for the World page's map and table
    /api/health            liveness
    /world                 the World page (choropleth from the shipped Natural Earth geometry + sorted table)

Safety: every query parameter is validated (unknown or repeated parameters, bad values → 422 with a
message; unknown country → 404), bodies and long query strings are refused (413), no file path is
ever built from a request (assets are an allow-list of names, scenarios a list made at start-up),
errors never carry a traceback, results are cached, and at most ``max_workers`` computations run at
once (503 when the queue is full). When bound to a loopback address the ``Host`` header must name it
(DNS-rebinding guard).
"""

from __future__ import annotations

import json
import sys
import threading
import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from .. import __version__

MAX_QUERY = 2048          # bytes of query string
MAX_BODY = 1024           # bytes of request body (GET requests carry none)
MAX_FIELD = 64            # characters in one parameter value
MAX_SPAN = 80             # years in one request's time series
YEAR_MIN, YEAR_MAX = 1946, 2100
DEFAULTS = {"country": "KAZ", "start": 1992, "end": 2021}
SCENARIO_DRAWS = 50       # Monte Carlo draws per dashboard scenario run (the CLI report defaults to 100)
MAX_BUDGET = 1e13         # USD: a strategic-options budget above this is refused (no country spends more)

CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = [("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"),
                    ("X-Frame-Options", "DENY"), ("Content-Security-Policy", CSP),
                    ("Cross-Origin-Resource-Policy", "same-origin")]
STATUS = {200: "200 OK", 400: "400 Bad Request", 404: "404 Not Found", 405: "405 Method Not Allowed",
          413: "413 Content Too Large", 422: "422 Unprocessable Content", 500: "500 Internal Server Error",
          503: "503 Service Unavailable"}


class HTTPError(Exception):
    """An error answered as JSON ``{"error": message, "status": code}``."""

    def __init__(self, status: int, message: str, **extra) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


# --------------------------------------------------------------------------------------------- assets


def _static(name: str) -> bytes:
    return resources.files("tethers.dashboard").joinpath("static", name).read_bytes()


def _template(name: str) -> bytes:
    return resources.files("tethers.report").joinpath("templates", name).read_bytes()


def _plotly() -> bytes:
    from ..report.html import plotly_js

    return plotly_js().encode("utf-8")


# The only files the server ever sends: name → (loader, content type). Nothing else is reachable.
ASSETS: dict[str, tuple[Callable[[], bytes], str]] = {
    "index.html": (lambda: _static("index.html"), "text/html; charset=utf-8"),
    "dashboard.js": (lambda: _static("dashboard.js"), "text/javascript; charset=utf-8"),
    "dashboard.css": (lambda: _static("dashboard.css"), "text/css; charset=utf-8"),
    "style.css": (lambda: _template("style.css"), "text/css; charset=utf-8"),
    "render.js": (lambda: _template("render.js"), "text/javascript; charset=utf-8"),
    "plotly.min.js": (_plotly, "text/javascript; charset=utf-8"),
    "world.html": (lambda: _static("world.html"), "text/html; charset=utf-8"),
    "world.js": (lambda: _static("world.js"), "text/javascript; charset=utf-8"),
    "world110.geojson": (lambda: _static("world110.geojson"), "application/geo+json"),
}
WORLD_DEFAULTS = {"measure": "import_share:RUS", "year": 2021}


# --------------------------------------------------------------------------------------------- params


@dataclass(frozen=True)
class ViewParams:
    country: str
    start: int
    end: int
    year: int
    poles: tuple[str, ...]
    scenario: str | None
    options: str | None = None
    budget: float | None = None


def _one(q: dict[str, list[str]], name: str) -> str | None:
    vals = q.get(name)
    if vals is None:
        return None
    if len(vals) > 1:
        raise HTTPError(422, f"parameter {name!r} given {len(vals)} times", param=name)
    v = vals[0].strip()
    if len(v) > MAX_FIELD:
        raise HTTPError(422, f"parameter {name!r} is longer than {MAX_FIELD} characters", param=name)
    return v


def _year(q, name: str, default: int | None) -> int:
    v = _one(q, name)
    if v is None or v == "":
        if default is None:
            raise HTTPError(422, f"parameter {name!r} is required (a year, {YEAR_MIN}–{YEAR_MAX})", param=name)
        return default
    if not v.isdigit() or not YEAR_MIN <= int(v) <= YEAR_MAX:
        raise HTTPError(422, f"{name}={v!r} is not a year between {YEAR_MIN} and {YEAR_MAX}", param=name)
    return int(v)


def _budget(q) -> float | None:
    """``budget`` in USD: a finite number in (0, MAX_BUDGET], or absent."""
    import math

    v = _one(q, "budget")
    if v is None or v == "":
        return None
    try:
        b = float(v)
    except ValueError:
        raise HTTPError(422, f"budget={v!r} is not a number (USD, e.g. 2e9)", param="budget") from None
    if not math.isfinite(b) or not 0 < b <= MAX_BUDGET:
        raise HTTPError(422, f"budget={v!r} must be a positive amount of USD up to {MAX_BUDGET:.0e}", param="budget")
    return b


def _country(q) -> str:
    from ..countries import resolve
    from ..errors import UnknownCountryError

    v = _one(q, "country")
    if not v:
        raise HTTPError(422, "parameter 'country' is required (ISO3, ISO2, UN number or name)", param="country")
    try:
        return resolve(v)
    except UnknownCountryError as exc:
        raise HTTPError(404, str(exc), param="country") from None


def _poles(q) -> tuple[str, ...]:
    from ..countries import POLE_ORDER

    allowed = [p for p in POLE_ORDER if p != "ROW"]
    v = _one(q, "poles")
    if v is None or v == "":
        return tuple(allowed)
    asked = [p.strip().upper() for p in v.split(",") if p.strip()]
    bad = [p for p in asked if p not in allowed]
    if bad:
        raise HTTPError(422, f"unknown pole(s) {', '.join(bad)}; choose from {', '.join(allowed)}", param="poles")
    asked = list(dict.fromkeys(asked))
    if len(asked) < 2:
        raise HTTPError(422, "choose at least two poles", param="poles")
    return tuple(asked)


def _check_names(q: dict[str, list[str]], allowed: tuple[str, ...]) -> None:
    extra = sorted(set(q) - set(allowed))
    if extra:
        raise HTTPError(422, f"unknown parameter(s) {', '.join(map(repr, extra))}; allowed: {', '.join(allowed)}",
                        param=extra[0])


# --------------------------------------------------------------------------------------------- app


class Dashboard:
    """The WSGI application (callable). ``atlas_path`` is opened read-only for each computation."""

    def __init__(self, atlas_path: str | Path, *, scenario_dir: str | Path | None = None,
                 options_dir: str | Path | None = None, max_workers: int = 2,
                 cache_size: int = 32, allowed_hosts: Iterable[str] | None = None, log: Callable[[str], None] | None = None,
                 busy_timeout: float = 60.0):
        self.atlas_path = Path(atlas_path)
        self.scenarios = _scan_specs(scenario_dir, "--scenarios")
        self.option_sets = _scan_specs(options_dir, "--options-dir")
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts) if allowed_hosts else None
        self._slots = threading.BoundedSemaphore(max_workers)
        self.busy_timeout = busy_timeout
        self._cache: OrderedDict[tuple, bytes] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._log = log or (lambda msg: print(msg, file=sys.stderr))
        self._routes: dict[str, Callable[[dict], tuple[bytes, str]]] = {
            "/api/options": self._options, "/api/view": self._view, "/api/profile": self._profile,
            "/api/health": self._health, "/api/world": self._world,
        }

    # ---- WSGI entry
    def __call__(self, environ: dict, start_response):
        try:
            body, ctype, headers = self._dispatch(environ)
            status = 200
        except HTTPError as exc:
            status, ctype, headers = exc.status, "application/json", []
            body = _json({"error": exc.message, "status": exc.status, **exc.extra})
        except Exception:  # a bug: log it here, answer without a traceback
            self._log("tethers dashboard: internal error\n" + traceback.format_exc())
            status, ctype, headers = 500, "application/json", []
            body = _json({"error": "internal error (details are in the server log)", "status": 500})
        if ctype.startswith("application/json"):
            headers = [*headers, ("Cache-Control", "no-store")]
        start_response(STATUS[status], [("Content-Type", ctype), ("Content-Length", str(len(body))),
                                         *SECURITY_HEADERS, *headers])
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else body]

    def _dispatch(self, environ: dict) -> tuple[bytes, str, list[tuple[str, str]]]:
        self._check_request(environ)
        path = environ.get("PATH_INFO") or "/"
        if path in ("/", "/index.html"):
            return self._asset("index.html") + ([("Cache-Control", "no-cache")],)
        if path in ("/world", "/world.html"):
            return self._asset("world.html") + ([("Cache-Control", "no-cache")],)
        if path.startswith("/static/"):
            return self._asset(path.removeprefix("/static/")) + ([("Cache-Control", "max-age=3600")],)
        route = self._routes.get(path)
        if route is None:
            raise HTTPError(404, f"no such page: {path[:80]!r}")
        q = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True, max_num_fields=20)
        return (*route(q), [])

    def _check_request(self, environ: dict) -> None:
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise HTTPError(400, "bad Content-Length") from None
        if length > MAX_BODY or len(environ.get("QUERY_STRING", "")) > MAX_QUERY:
            raise HTTPError(413, f"request too large (query ≤ {MAX_QUERY} bytes, body ≤ {MAX_BODY} bytes)")
        if method not in ("GET", "HEAD"):
            raise HTTPError(405, f"method {method} not allowed; this dashboard is read-only (GET)")
        if self.allowed_hosts is not None:
            host = (environ.get("HTTP_HOST") or "").lower()
            if host not in self.allowed_hosts:
                raise HTTPError(400, f"Host {host[:80]!r} is not this server's address")

    def _asset(self, name: str) -> tuple[bytes, str]:
        entry = ASSETS.get(name)
        if entry is None:
            raise HTTPError(404, "no such file")
        loader, ctype = entry
        return self._cached(("asset", name), loader, slot=False), ctype

    # ---- cache and compute slots
    def _cached(self, key: tuple, compute: Callable[[], bytes], *, slot: bool = True) -> bytes:
        """``compute()`` once per key (LRU); computations hold one of the ``max_workers`` slots."""
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        if not slot:
            value = compute()
        elif self._slots.acquire(timeout=self.busy_timeout):
            try:
                value = compute()
            finally:
                self._slots.release()
        else:
            raise HTTPError(503, "the server is busy; try again in a moment")
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > self._cache_size + len(ASSETS):
                self._cache.popitem(last=False)
        return value

    def _atlas_key(self) -> float:
        try:
            return self.atlas_path.stat().st_mtime
        except OSError:
            raise HTTPError(503, f"no atlas at {self.atlas_path.name}; run `tethers atlas build`") from None

    def _with_atlas(self, fn):
        from ..atlas.store import Atlas
        from ..errors import (
            AtlasBusyError,
            AtlasMissingError,
            DataNotAvailableError,
            TethersError,
            UnknownCountryError,
        )

        try:
            with Atlas(self.atlas_path) as atlas:
                return fn(atlas)
        except (AtlasMissingError, AtlasBusyError) as exc:
            raise HTTPError(503, str(exc)) from None
        except (UnknownCountryError, DataNotAvailableError) as exc:
            raise HTTPError(404, str(exc)) from None
        except TethersError as exc:
            raise HTTPError(422, str(exc)) from None

    # ---- endpoints
    def _health(self, q) -> tuple[bytes, str]:
        _check_names(q, ())
        return _json({"status": "ok", "tethers_version": __version__, "atlas": self.atlas_path.name}), "application/json"

    def _options(self, q) -> tuple[bytes, str]:
        _check_names(q, ())

        def compute() -> bytes:
            from ..countries import POLE_LABELS, POLE_ORDER

            def fn(atlas):
                rows = atlas.sql(
                    "SELECT c.iso3, c.name FROM countries c WHERE c.iso3 IN "
                    "(SELECT DISTINCT country FROM votes UNION SELECT DISTINCT reporter FROM trade) ORDER BY c.name"
                ).to_dicts()
                span = atlas.sql("SELECT min(year(date)) AS a, max(year(date)) AS b FROM votes").row(0)
                trade = atlas.sql("SELECT max(year) AS b FROM trade").row(0)
                return rows, span, trade

            rows, span, trade = self._with_atlas(fn)
            poles = [{"id": p, "label": POLE_LABELS.get(p, p)} for p in POLE_ORDER if p != "ROW"]
            return _json({
                "countries": rows, "poles": poles, "scenarios": sorted(self.scenarios),
                "options": sorted(self.option_sets), "max_budget": MAX_BUDGET,
                "years": {"min": span[0] or YEAR_MIN, "max": max(span[1] or 0, trade[0] or 0) or YEAR_MAX},
                "defaults": {**DEFAULTS, "poles": [p["id"] for p in poles]}, "max_span": MAX_SPAN,
            })

        return self._cached(("options", self._atlas_key()), compute), "application/json"

    def _profile(self, q) -> tuple[bytes, str]:
        _check_names(q, ("country", "year"))
        country = _country(q)
        year = _year(q, "year", None)

        def compute() -> bytes:
            from ..analysis.profile import profile
            from ..report.html import jsonable

            return _json(jsonable(self._with_atlas(lambda a: profile(country, year, atlas=a).to_dict())))

        return self._cached(("profile", country, year, self._atlas_key()), compute), "application/json"

    def _world(self, q) -> tuple[bytes, str]:
        measure, year = world_params(q)

        def compute() -> bytes:
            from ..analysis.world import world_view

            return _json(self._with_atlas(lambda a: world_view(measure, year, atlas=a).to_dict()))

        return self._cached(("world", measure, year, self._atlas_key()), compute), "application/json"

    def view_params(self, q: dict[str, list[str]]) -> ViewParams:
        """Validate the parameters of /api/view (raises :class:`HTTPError`)."""
        _check_names(q, ("country", "start", "end", "year", "poles", "scenario", "options", "budget"))
        country = _country(q)
        start = _year(q, "start", DEFAULTS["start"])
        end = _year(q, "end", DEFAULTS["end"])
        if start > end:
            raise HTTPError(422, f"start={start} is after end={end}", param="start")
        if end - start + 1 > MAX_SPAN:
            raise HTTPError(422, f"at most {MAX_SPAN} years per request (asked {end - start + 1})", param="start")
        year = _year(q, "year", end)
        if not start <= year <= end:
            raise HTTPError(422, f"year={year} is outside start–end ({start}–{end})", param="year")
        scenario = _one(q, "scenario")
        if scenario == "":
            scenario = None
        if scenario is not None and scenario not in self.scenarios:
            choices = ", ".join(sorted(self.scenarios)) or "none are configured (tethers serve --scenarios DIR)"
            raise HTTPError(422, f"unknown scenario {scenario!r}; choose one of: {choices}", param="scenario")
        options = _one(q, "options") or None
        if options is not None and options not in self.option_sets:
            choices = ", ".join(sorted(self.option_sets)) or "none are configured (tethers serve --options-dir DIR)"
            raise HTTPError(422, f"unknown options file {options!r}; choose one of: {choices}", param="options")
        budget = _budget(q)
        if budget is not None and options is None:
            raise HTTPError(422, "budget needs options (the options file whose mix it limits)", param="budget")
        return ViewParams(country, start, end, year, _poles(q), scenario, options, budget)

    def _view(self, q) -> tuple[bytes, str]:
        p = self.view_params(q)

        def compute() -> bytes:
            from ..report.charts import build_figures
            from ..report.html import payload, render_sections
            from ..report.views import collect

            def fn(atlas):
                view = collect(p.country, atlas=atlas, year=p.year, start=p.start, end=p.end,
                               poles=(*p.poles, "ROW"), scenario=self.scenarios.get(p.scenario) if p.scenario else None,
                               draws=SCENARIO_DRAWS,
                               options=self.option_sets.get(p.options) if p.options else None, budget=p.budget)
                figures = build_figures(view.tidy(), country=view.country, year=view.year)
                meta = {k: v for k, v in atlas.meta().items() if k in ("built_at", "schema_version")}
                out = payload(view, figures, meta=meta)
                out["html"] = render_sections(view, figures)
                return out

            return _json(self._with_atlas(fn))

        key = ("view", p, self._atlas_key())
        return self._cached(key, compute), "application/json"


def world_params(q: dict[str, list[str]]) -> tuple[str, int]:
    """Validate the parameters of /api/world: ``measure`` (import_share:POLE, export_share:POLE, balance) and
    ``year`` (raises :class:`HTTPError` 422 with a one-line message)."""
    from ..analysis.world import parse_measure
    from ..errors import TethersError

    _check_names(q, ("measure", "year"))
    raw = _one(q, "measure") or WORLD_DEFAULTS["measure"]
    try:
        measure = parse_measure(raw).id
    except TethersError as exc:
        raise HTTPError(422, str(exc), param="measure") from None
    return measure, _year(q, "year", WORLD_DEFAULTS["year"])


def _json(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def _shipped_folder(name: str) -> Path | None:
    """The shipped ``name/`` folder of YAML files (the repository's, or the installed wheel's copy), if any."""
    from ..atlas.shipped import shipped_dir

    return shipped_dir(name)


def default_scenario_dir() -> Path | None:
    """The ``scenarios/`` folder shipped with the repository, if there is one."""
    return _shipped_folder("scenarios")


def default_options_dir() -> Path | None:
    """The ``options/`` folder shipped with the repository, if there is one."""
    return _shipped_folder("options")


def _scan_specs(folder: str | Path | None, flag: str) -> dict[str, Path]:
    """Scenario or options files offered by the page: stem → path, listed once at start-up (never from a request)."""
    if folder is None:
        return {}
    d = Path(folder)
    if not d.is_dir():
        from ..errors import OptionError

        raise OptionError(f"{flag} {d}: not a folder")
    return {p.stem: p.resolve() for p in sorted(d.iterdir())
            if p.is_file() and p.suffix.lower() in (".yaml", ".yml", ".toml")}


# --------------------------------------------------------------------------------------------- server


class _Handler(WSGIRequestHandler):
    timeout = 30  # seconds a client may take to send its request
    quiet = False

    def log_message(self, format: str, *args) -> None:
        if not self.quiet:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")


class DashboardServer(ThreadingMixIn, WSGIServer):
    """A threaded WSGI server for :class:`Dashboard` (daemon threads; bounded listen queue)."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 32
    url_host: str = "127.0.0.1"
    loopback: bool = True


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def make_server(host: str = "127.0.0.1", port: int = 8765, *, atlas_path: str | Path,
                scenario_dir: str | Path | None = None, options_dir: str | Path | None = None,
                quiet: bool = False) -> DashboardServer:
    """Bind the dashboard to ``host:port`` (``port=0``: any free port); call ``serve_forever()`` on the result."""
    import socket

    handler = type("Handler", (_Handler,), {"quiet": quiet})
    server_cls = DashboardServer
    if ":" in host:
        server_cls = type("DashboardServer6", (DashboardServer,), {"address_family": socket.AF_INET6})
    server = server_cls((host, port), handler)
    real_port = server.server_port
    loopback = host in LOOPBACK or host.startswith("127.")
    hosts = None
    if loopback:
        names = {host, "127.0.0.1", "localhost", "[::1]"}
        hosts = {f"{h}:{real_port}" for h in names} | ({h for h in names} if real_port == 80 else set())
    server.set_app(Dashboard(atlas_path, scenario_dir=scenario_dir, options_dir=options_dir, allowed_hosts=hosts))
    server.url_host = f"[{host}]" if ":" in host else host
    server.loopback = loopback
    return server
