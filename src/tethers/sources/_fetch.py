"""Downloads: the only module in tethers that opens a network connection.

:func:`download` fetches one URL into a file, resumably and atomically; :func:`fetch_source` runs a
source's plan (:mod:`tethers.sources._fetch_plans`) through it into the cache
``<cache>/<source_id>/`` (default ``default_home() / "cache"``) and returns the files a loader reads.

Behaviour of :func:`download`
-----------------------------
* The body streams to ``<dest>.part``; ``dest`` appears only by an atomic rename once every byte is in
  and the size / SHA-256 (when known) match. A failed or mismatching download never leaves ``dest``
  half-written; a checksum mismatch keeps nothing at all.
* After a dropped connection the next attempt asks for the rest with ``Range: bytes=<part size>-``. A
  server that ignores the range (answers ``200`` with the whole body) is read from the start again.
* Transient failures (HTTP 408/425/429/5xx, timeouts, resets, truncated bodies) are retried ``retries``
  times with exponential backoff (``backoff``, ×2 each time; ``Retry-After`` honoured up to a minute).
  Anything else (404, 403, DNS failure, TLS error) raises :class:`~tethers.errors.FetchError` at once,
  as one line naming the URL.
* Concurrent downloads of the same ``dest`` (threads or processes) are serialised by an exclusive lock
  on ``.<name>.lock``; whoever waited finds the finished file and returns it.
* Every download that ends, ok or not, appends one FILEIO-style JSON line to ``<dest folder>/
  download_log.jsonl``: url, file, bytes, sha256, started, finished, status (``ok`` | ``failed``),
  attempts, resumed_from, http_status, error.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import http.client
import json
import os
import shutil
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from .. import __version__
from ..errors import FetchError
from . import sha256_of
from ._fetch_plans import Download, plan, source_key

ProgressFn = Callable[[str, int, int], None]  # (file name, bytes so far, total bytes or 0 if unknown)

LOG_NAME = "download_log.jsonl"
CHUNK = 1 << 16
TRANSIENT_HTTP = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 60.0  # seconds; a longer Retry-After is capped
USER_AGENT = f"tethers/{__version__} (Python urllib)"


class _Transient(Exception):
    """A failure worth retrying (the partial file is kept for resuming)."""

    def __init__(self, message: str, *, wait: float | None = None, restart: bool = False) -> None:
        super().__init__(message)
        self.wait = wait
        self.restart = restart  # the partial file is unusable: start the next attempt from zero


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@contextlib.contextmanager
def _locked(lock: Path) -> Iterator[bool]:
    """Hold an exclusive lock on ``lock``; yields True when another holder made us wait."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            waited = False
        except BlockingIOError:
            fcntl.flock(fh, fcntl.LOCK_EX)
            waited = True
        try:
            yield waited
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def append_log(folder: Path, record: dict) -> None:
    """Append one JSON line to ``folder/download_log.jsonl`` (serialised by a lock)."""
    folder.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with _locked(folder / f".{LOG_NAME}.lock"), open(folder / LOG_NAME, "a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def read_log(folder: Path) -> list[dict]:
    """All records of ``folder/download_log.jsonl`` (oldest first; unreadable lines skipped)."""
    path = Path(folder) / LOG_NAME
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(ValueError):
            out.append(json.loads(line))
    return out


def _commit(part: Path, dest: Path) -> None:
    with open(part, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(part, dest)
    dfd = os.open(dest.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def _retry_after(headers) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return min(float(value), MAX_RETRY_AFTER) if value is not None else None
    except ValueError:
        return None


def _open(url: str, offset: int, timeout: float):
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    opener = urllib.request.build_opener()  # honours http(s)_proxy / no_proxy
    try:
        return opener.open(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as e:
        e.close()
        if e.code == 416 and offset:
            raise _Transient("HTTP 416: the partial file does not fit the server's copy", restart=True) from None
        if e.code in TRANSIENT_HTTP:
            raise _Transient(f"HTTP {e.code} {e.reason}", wait=_retry_after(e.headers)) from None
        if e.code == 404:
            raise FetchError(f"{url}: not found (HTTP 404)") from None
        raise FetchError(f"{url}: HTTP {e.code} {e.reason}") from None
    except urllib.error.URLError as e:
        reason = e.reason
        if isinstance(reason, socket.gaierror):
            raise FetchError(f"{url}: cannot resolve the host ({reason.strerror or reason})") from None
        if isinstance(reason, ssl.SSLError):
            raise FetchError(f"{url}: TLS error ({reason})") from None
        if isinstance(reason, OSError):
            raise _Transient(f"connection failed ({reason})") from None
        raise FetchError(f"{url}: {reason}") from None


def _transfer(url: str, part: Path, *, resume: bool, timeout: float, progress: ProgressFn | None,
              label: str) -> tuple[int, int]:
    """One attempt: stream (the rest of) ``url`` into ``part``. Returns (HTTP status, first byte received)."""
    offset = part.stat().st_size if resume and part.exists() else 0
    if not offset:
        part.unlink(missing_ok=True)
    try:
        resp = _open(url, offset, timeout)
    except _Transient as e:
        if e.restart or not resume:
            part.unlink(missing_ok=True)
        raise
    with resp:
        status = resp.status
        if status == 206:
            start = resp.headers.get("Content-Range", "").removeprefix("bytes ").split("-")[0]
            if start != str(offset):
                part.unlink(missing_ok=True)
                raise _Transient(f"server resumed at byte {start or '?'} instead of {offset}; restarting")
        else:  # 200: a full body, whether or not we asked for a range
            offset = 0
        length = resp.headers.get("Content-Length")
        expected = offset + int(length) if length and length.isdigit() else None
        done = offset
        with open(part, "ab" if offset else "wb") as fh:
            while True:
                try:
                    chunk = resp.read(CHUNK)
                except (OSError, http.client.HTTPException) as e:  # timeouts, resets, truncated bodies
                    raise _Transient(f"connection lost after {done} bytes ({type(e).__name__})") from None
                if not chunk:
                    break
                fh.write(chunk)
                done += len(chunk)
                if progress:
                    progress(label, done, expected or 0)
        if expected is not None and done < expected:
            raise _Transient(f"connection closed after {done} of {expected} bytes")
    return status, offset


def download(url: str, dest: str | Path, *, sha256: str | None = None, size: int | None = None,
             resume: bool = True, retries: int = 3, timeout: float = 60.0, backoff: float = 1.0,
             progress: ProgressFn | None = None) -> Path:
    """Download ``url`` to ``dest`` (see the module docstring for resume, retry, lock and log rules).

    Parameters
    ----------
    url : http(s) URL.
    dest : target file; its folder is created and receives ``download_log.jsonl``.
    sha256, size : expected hex digest / byte count, verified before ``dest`` is written, when given.
    resume : continue an existing ``dest.part`` with a Range request (else start from zero).
    retries : further attempts after a transient failure (0 = one attempt only).
    timeout : seconds for connecting and for each read.
    backoff : seconds before the first retry; doubled for each further one.
    progress : ``progress(file_name, bytes_so_far, total_or_0)`` after each chunk.

    Returns
    -------
    Path
        ``dest``.

    Raises
    ------
    FetchError
        one line naming the URL: HTTP error, unreachable host, retries exhausted, size or checksum
        mismatch (naming both digests; nothing is kept).
    """
    dest = Path(dest)
    folder = dest.parent
    folder.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    sha256 = sha256.lower() if sha256 else None
    with _locked(folder / f".{dest.name}.lock") as waited:
        if waited and dest.exists() and (sha256 is None or sha256_of(dest) == sha256):
            return dest  # another thread or process fetched it while we waited
        record = {"kind": "fileio", "url": url, "file": dest.name, "bytes": None, "sha256": None,
                  "started": _now(), "finished": None, "status": "failed", "attempts": 0,
                  "resumed_from": 0, "error": None, "tethers_version": __version__}
        try:
            status, resumed_from = _attempts(url, part, record, resume=resume, retries=retries,
                                             timeout=timeout, backoff=backoff, progress=progress,
                                             label=dest.name)
            got_size = part.stat().st_size
            got_sha = sha256_of(part)
            record |= {"bytes": got_size, "sha256": got_sha, "http_status": status, "resumed_from": resumed_from}
            if size is not None and got_size != size:
                part.unlink(missing_ok=True)
                raise FetchError(f"{url}: size mismatch: expected {size} bytes, got {got_size}; nothing was kept")
            if sha256 is not None and got_sha != sha256:
                part.unlink(missing_ok=True)
                raise FetchError(
                    f"{url}: checksum mismatch: expected sha256 {sha256}, got {got_sha}; nothing was kept"
                )
            _commit(part, dest)
            record["status"] = "ok"
            return dest
        except BaseException as e:
            record["error"] = str(e) or type(e).__name__
            raise
        finally:
            record["finished"] = _now()
            append_log(folder, record)


def _attempts(url: str, part: Path, record: dict, *, resume: bool, retries: int, timeout: float,
              backoff: float, progress: ProgressFn | None, label: str) -> tuple[int, int]:
    """Run :func:`_transfer` until it succeeds or the retries are spent; returns the last one's result."""
    for attempt in range(retries + 1):
        record["attempts"] = attempt + 1
        try:
            return _transfer(url, part, resume=resume, timeout=timeout, progress=progress, label=label)
        except _Transient as e:
            if attempt == retries:
                raise FetchError(f"{url}: {e} (gave up after {retries + 1} attempts)") from None
            time.sleep(max(backoff * 2**attempt, e.wait or 0.0))
    raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------------------------
# running a plan
# --------------------------------------------------------------------------------------------


def _cache_root(cache_dir: str | Path | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    from ..atlas.store import default_home

    return default_home() / "cache"


def _last_ok(folder: Path) -> dict[str, dict]:
    """File name → its most recent successful log record."""
    return {r["file"]: r for r in read_log(folder) if r.get("status") == "ok" and r.get("file")}


def _is_cached(dest: Path, d: Download, logged: dict[str, dict]) -> bool:
    """``dest`` is complete: it exists and matches the plan's checksum, else the one logged when fetched."""
    if not dest.exists():
        return False
    want_sha, want_size = d.sha256, d.size
    if want_sha is None and dest.name in logged:
        want_sha, want_size = logged[dest.name].get("sha256"), logged[dest.name].get("bytes")
    if want_size is not None and dest.stat().st_size != want_size:
        return False
    return want_sha is None or sha256_of(dest) == want_sha.lower()


def _fresh(target: Path, source: Path) -> bool:
    return target.exists() and target.stat().st_mtime >= source.stat().st_mtime


def _tmp(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def _extract(archive: Path, members: tuple[str, ...]) -> list[Path]:
    out = []
    try:
        with zipfile.ZipFile(archive) as zf:
            names = {PurePosixPath(n).name: n for n in zf.namelist() if not n.endswith("/")}
            for member in members:
                target = archive.parent / member
                out.append(target)
                if _fresh(target, archive):
                    continue
                if member not in names:
                    some = ", ".join(sorted(names)[:5])
                    raise FetchError(f"{archive}: the archive has no member {member!r} (it has {some} …)")
                tmp = _tmp(target)
                with zf.open(names[member]) as src, open(tmp, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                os.replace(tmp, target)
    except zipfile.BadZipFile:
        archive.unlink(missing_ok=True)
        raise FetchError(f"{archive}: not a zip archive (the server may have sent a web page); removed") from None
    return out


def _convert(raw: Path, d: Download) -> Path:
    target = raw.parent / str(d.output)
    if _fresh(target, raw):
        return target
    try:
        text = d.convert(raw.read_bytes())  # type: ignore[misc]
    except FetchError as e:
        raw.unlink(missing_ok=True)  # useless to keep: the next fetch must ask again
        raise FetchError(f"{e} (from {d.url}; the response was not kept)") from None
    tmp = _tmp(target)
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return target


def fetch_source(source_id: str, *, cache_dir: str | Path | None = None, progress: ProgressFn | None = None,
                 **params) -> list[Path]:
    """Download a source's public files into the cache and return the files its loader reads.

    Runs :func:`~tethers.sources._fetch_plans.plan` (all parameters are validated before any
    connection), then :func:`download` for each file not already complete in the cache (complete =
    present with the checksum the plan states or, failing that, the one logged when it was fetched),
    then unpacks zip members or converts responses (Comtrade JSON → CSV) where the plan says so.

    Parameters
    ----------
    source_id : ``comtrade``, ``baci``, ``unvotes``, ``cbr``, ``nbk``, ``gem`` or ``cepii_geodist``
        (case-insensitive).
    cache_dir : cache root; files go to ``<cache_dir>/<source_id>/``. Default ``default_home()/"cache"``.
    progress : ``progress(file_name, bytes_so_far, total_or_0)`` while downloading.
    **params : the source's parameters:

        - comtrade: ``reporter`` (required), ``year``/``years`` (required), ``partner`` (default all),
          ``cmd`` (default ``TOTAL``), ``flow`` (default ``M,X``)
        - baci: ``year``/``years`` (required), ``revision`` (default ``HS17``), ``version``
        - cbr, nbk: ``date`` | ``dates`` | ``start`` + ``end``, ``every`` = ``day`` | ``month``
        - gem: ``tracker`` = ``gas`` | ``oil`` | ``all``
        - unvotes, cepii_geodist: none

    Returns
    -------
    list[Path]
        the files to hand to ``tethers atlas add <source> <path>``, in plan order (companion files a
        loader finds by itself, like the unvotes roll-call table, stay in the cache but are not listed).

    Raises
    ------
    UnknownSourceError, FetchError, UnknownCountryError
        see :func:`~tethers.sources._fetch_plans.plan` and :func:`download`.
    """
    key = source_key(source_id)
    downloads = plan(key, **params)
    folder = _cache_root(cache_dir) / key
    logged = _last_ok(folder)
    out: list[Path] = []
    for d in downloads:
        dest = folder / d.filename
        if not _is_cached(dest, d, logged):
            download(d.url, dest, sha256=d.sha256, size=d.size, progress=progress)
        if d.extract:
            files = _extract(dest, d.extract)
        elif d.convert is not None:
            files = [_convert(dest, d)]
        else:
            files = [dest]
        if d.entry:
            out.extend(files)
    return out


__all__ = ["Download", "ProgressFn", "download", "fetch_source", "plan", "read_log"]
