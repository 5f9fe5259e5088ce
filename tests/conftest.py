"""Shared fixtures: offline by construction, the shared-data tier, and a fresh atlas per test session."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = Path(__file__).parent / "samples"
SHARED = Path(os.environ.get("TETHERS_SHARED", ROOT.parent / "shared" / "data"))


@pytest.fixture(autouse=True)
def _no_network(monkeypatch, request):
    """Any socket to a non-loopback address raises: read() must never touch the network."""
    if request.node.get_closest_marker("network"):
        return
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (host.startswith("127.") or host in ("localhost", "::1")):
            return real_connect(self, address)
        raise RuntimeError(f"tests are offline: attempted connection to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session")
def shared() -> Path:
    """The full real datasets in ../shared/data; tests using it skip where it is absent (fresh clones)."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} absent: full-file tests run where ../shared/data exists (CI has it)")
    return SHARED


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def atlas_path(tmp_path_factory) -> Path:
    """An atlas built once per test session from the shipped data pack."""
    from tethers.atlas.store import build_atlas

    path = tmp_path_factory.mktemp("atlas") / "atlas.duckdb"
    build_atlas(path)
    return path


@pytest.fixture(scope="session")
def small_atlas(tmp_path_factory):
    """A small atlas (countries + Kazakhstan's BNS trade + hand-kept tables) and its per-table checksum.

    Bad-input tests copy it per case and compare checksums of every table before and after a failed
    ingest; the full atlas would make each checksum slow without testing anything more.
    """
    import json
    from types import SimpleNamespace

    from tethers.atlas.store import build_atlas, checksum, default_pack_dir

    pack = default_pack_dir()
    manifest = json.loads((pack / "MANIFEST.json").read_text())
    keep = [e for e in manifest["entries"] if e["source"] in ("kz_bns", "handkept")]
    sub = tmp_path_factory.mktemp("small_pack")
    for e in keep:
        (sub / e["file"]).parent.mkdir(parents=True, exist_ok=True)
        (sub / e["file"]).symlink_to(pack / e["file"])
    (sub / "MANIFEST.json").write_text(json.dumps({"format": 1, "entries": keep}))
    path = build_atlas(tmp_path_factory.mktemp("small_atlas") / "atlas.duckdb", pack_dir=sub)
    return SimpleNamespace(path=path, checksum=checksum(path))


@pytest.fixture()
def atlas(atlas_path):
    from tethers.atlas.store import Atlas

    a = Atlas(atlas_path)
    yield a
    a.close()


@pytest.fixture()
def fresh_atlas(tmp_path) -> Path:
    """A private atlas a test may modify."""
    from tethers.atlas.store import build_atlas

    return build_atlas(tmp_path / "atlas.duckdb")


from tests.sources.contract import pytest_generate_tests  # noqa: E402,F401  (bad_case parametrisation)
