"""`datamech new KIND [FILE]`, `datamech new --list` and `datamech schema KIND` (issue 15)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import pytest

from datamech.cli import main
from datamech.schema import FILES, KINDS
from datamech.status import Status


def test_list_names_every_kind(capsys):
    assert main(["new", "--list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == list(FILES)
    assert all(len(line.split(None, 1)) == 2 for line in out)  # each with its summary


def test_new_prints_the_template(capsys):
    assert main(["new", "online"]) == 0
    out = capsys.readouterr().out
    data = tomllib.loads(out)
    assert data["model"]["kind"] == "online"
    assert data["model"]["mechanism"] == "optimal"
    assert "# delta = " in out  # optional keys shown commented out


@pytest.mark.parametrize("name", list(FILES))
def test_new_then_solve_exits_0(tmp_path, capsys, name):
    path = tmp_path / f"{name}.toml"
    assert main(["new", name, str(path)]) == 0
    assert path.exists()
    capsys.readouterr()
    assert main(["solve", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] in {s.value for s in Status if s.value in (
        "optimal", "evaluated", "local_optimum", "heuristic")}  # fmt: skip


def test_new_refuses_to_overwrite(tmp_path, capsys):
    path = tmp_path / "m.toml"
    path.write_text("keep me\n")
    assert main(["new", "offline", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "exists" in err[0] and "--force" in err[0]
    assert path.read_text() == "keep me\n"
    assert main(["new", "offline", str(path), "--force"]) == 0
    assert tomllib.loads(path.read_text())["model"]["kind"] == "offline"


def test_new_into_a_missing_directory(tmp_path, capsys):
    assert main(["new", "offline", str(tmp_path / "no" / "m.toml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("datamech: error: file: cannot write")


@pytest.mark.parametrize(
    "argv, words",
    [
        (["new"], "kind: give a kind"),
        (["new", "ofline"], "kind: unknown kind 'ofline'"),
        (["schema", "ofline"], "kind: unknown kind 'ofline'"),
    ],
)
def test_bad_kinds_give_one_line(capsys, argv, words):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0] and "Traceback" not in err[0]


@pytest.mark.parametrize("kind", [*KINDS, "chain_continuous"])
def test_schema_prints_a_json_schema(capsys, kind):
    assert main(["schema", kind]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema.get("type") == "object" or "if" in schema
    assert "model" in json.dumps(schema)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(FILES))
def test_shell_new_and_solve(tmp_path, name):
    """`datamech new KIND F && datamech solve F` as a user types it."""
    path = tmp_path / "m.toml"
    exe = [sys.executable, "-m", "datamech.cli"]
    cmd = f"{' '.join(exe + ['new', name, str(path)])} && {' '.join(exe + ['solve', str(path)])}"
    done = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
