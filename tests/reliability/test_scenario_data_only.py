"""Scenario files are data only: no YAML tag constructs an object or runs code, through the parser or the CLI."""

from __future__ import annotations

import subprocess

import pytest

from tethers.errors import TethersError
from tethers.scenario.spec import ScenarioSpecError, load_spec

from .test_crash_safety import tethers_cmd

VALID = "name: x\ncoalition: [USA]\ntargets: [RUS]\nstart_year: 2022\nmeasures: [{type: financial, intensity: 0.5}]\n"


def payloads(sentinel) -> dict[str, str]:
    cmd = f"touch {sentinel}"
    return {
        "apply_os_system": f'!!python/object/apply:os.system ["{cmd}"]\n',
        "apply_in_field": VALID.replace("name: x", f'name: !!python/object/apply:os.system ["{cmd}"]'),
        "new_popen": f'!!python/object/new:subprocess.Popen [["sh", "-c", "{cmd}"]]\n',
        "name_tag": "name: !!python/name:os.system\n",
        "module_tag": "name: !!python/module:os\n",
        "object_tag": "!!python/object:os._wrap_close {}\n",
        "eval_str": VALID.replace("name: x", f"name: !!python/object/apply:builtins.eval ['__import__(\"os\").system(\"{cmd}\")']"),
        "local_tag": VALID.replace("name: x", "name: !tethers/exec x"),
    }


@pytest.mark.parametrize("case", sorted(payloads("S")))
def test_tags_never_execute(tmp_path, case):
    sentinel = tmp_path / "executed"
    p = tmp_path / "hostile.yaml"
    p.write_text(payloads(sentinel)[case], encoding="utf-8")
    with pytest.raises(ScenarioSpecError) as info:
        load_spec(p)
    assert "\n" not in str(info.value)
    assert not sentinel.exists()


def test_cli_refuses_tagged_scenario_with_one_line(tmp_path, atlas_path):
    sentinel = tmp_path / "executed"
    p = tmp_path / "hostile.yaml"
    p.write_text(payloads(sentinel)["apply_in_field"], encoding="utf-8")
    r = subprocess.run([*tethers_cmd(), "--atlas", str(atlas_path), "sanction", str(p), "--on", "KAZ"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and not sentinel.exists(), r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("tethers: error:") and "invalid YAML" in r.stderr


def test_toml_has_no_code_path(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('name = "x"\n__class__ = "os.system"\n', encoding="utf-8")
    with pytest.raises(TethersError, match="__class__"):
        load_spec(p)
