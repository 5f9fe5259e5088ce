"""The wheel is self-sufficient (issue 16): built from the checkout, installed in a fresh virtualenv in a temporary
folder with no checkout and no ``../shared``, it builds its atlas from the data pack it carries and runs
``tethers profile KAZ --year 2021 --format json`` and a seeded ``tethers sanction`` on the scenario it carries.

Marked ``wheel`` and run by default by ``make test`` (so in CI, which has network to the package registry only):
dependencies come from the registry through pip's cache, which the checkout's own ``make install`` filled, so
the install is a local unpack (~1 minute); the whole test takes about two minutes.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_WHEEL_BYTES = 20_000_000

pytestmark = pytest.mark.wheel


def _run(cmd: list[str], *, cwd: Path, env: dict, timeout: int = 600) -> subprocess.CompletedProcess:
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, f"{' '.join(map(str, cmd))}\n{out.stderr[-3000:]}"
    return out


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv bin folder, clean environment, empty working folder) with the wheel installed."""
    tmp = tmp_path_factory.mktemp("wheel")
    assert ROOT not in tmp.parents and not (tmp.parent / "shared").exists()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TETHERS_", "PYTHON", "VIRTUAL_ENV", "PIP_REQUIRE"))}
    env |= {"TETHERS_HOME": str(tmp / "home"), "PIP_DISABLE_PIP_VERSION_CHECK": "1", "NO_COLOR": "1"}
    _run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(tmp / "dist")], cwd=tmp, env=env)
    wheels = list((tmp / "dist").glob("tethers-*.whl"))
    assert len(wheels) == 1
    size = wheels[0].stat().st_size
    assert size < MAX_WHEEL_BYTES, f"the wheel is {size / 1e6:.1f} MB (budget 20 MB): tell the lead"
    _run([sys.executable, "-m", "venv", str(tmp / "venv")], cwd=tmp, env=env)
    bin_ = tmp / "venv" / "bin"
    _run([str(bin_ / "python"), "-m", "pip", "install", "-q", str(wheels[0])], cwd=tmp, env=env, timeout=900)
    work = tmp / "work"
    work.mkdir()
    return bin_, env, work


def test_the_wheel_carries_the_repository_pack_scenarios_and_options(installed):
    bin_, env, work = installed
    code = "import json; from tethers.atlas.shipped import shipped_dir; print(json.dumps({n: str(shipped_dir(n)) for n in ('pack', 'scenarios', 'options')}))"
    dirs = {k: Path(v) for k, v in json.loads(_run([str(bin_ / "python"), "-c", code], cwd=work, env=env).stdout).items()}
    for name, repo in (("pack", ROOT / "data" / "pack"), ("scenarios", ROOT / "scenarios"), ("options", ROOT / "options")):
        assert "site-packages" in dirs[name].parts, dirs[name]
        want = {p.relative_to(repo): _sha(p) for p in repo.rglob("*") if p.is_file() and p.suffix in (".parquet", ".json", ".yaml")}
        got = {p.relative_to(dirs[name]): _sha(p) for p in dirs[name].rglob("*") if p.is_file()}
        assert got == want, name


def test_profile_from_the_installed_wheel(installed, atlas_path):
    bin_, env, work = installed
    out = _run([str(bin_ / "tethers"), "profile", "KAZ", "--year", "2021", "--format", "json"], cwd=work, env=env)
    prof = json.loads(out.stdout)
    assert (Path(env["TETHERS_HOME"]) / "atlas.duckdb").is_file(), "the atlas was built from the shipped pack"
    here = subprocess.run([sys.executable, "-m", "tethers.cli", "--atlas", str(atlas_path), "profile", "KAZ", "--year",
                           "2021", "--format", "json"], capture_output=True, text=True, timeout=300, check=True)
    mine = json.loads(here.stdout)
    assert prof["country"] == "KAZ" and prof["year"] == 2021
    assert prof["totals_usd"].keys() == mine["totals_usd"].keys()
    for flow, v in mine["totals_usd"].items():
        assert prof["totals_usd"][flow] == pytest.approx(v, rel=1e-12)
    assert [p["partner"] for p in prof["partners"]] == [p["partner"] for p in mine["partners"]]


def test_sanction_from_the_installed_wheel(installed):
    """The scenario named as in the README (``scenarios/eu-2022.yaml``) resolves to the wheel's copy."""
    bin_, env, work = installed
    out = _run([str(bin_ / "tethers"), "sanction", "scenarios/eu-2022.yaml", "--on", "KAZ", "--draws", "20", "--seed",
                "7", "--format", "json"], cwd=work, env=env)
    res = json.loads(out.stdout)
    assert res["country"] == "KAZ" and res["n_draws"] == 20 and res["seed"] == 7
    loss = [e for e in res["effects"] if e["channel"] == "trade" and e["metric"] == "trade_loss_usd"
            and e["detail"].startswith("flow=export; basis=")]
    assert loss and loss[0]["value"] > 0
