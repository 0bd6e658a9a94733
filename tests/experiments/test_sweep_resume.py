"""Killing a sweep and running the same command again gives the clean run's table.

A sweep in a subprocess is SIGKILLed once some rows are in its journal; the rerun
resumes from the journal; its table is compared byte for byte (rows sorted, the wall
time columns left out) with the table of a run that was never interrupted.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from datamech.cli import main
from datamech.experiments.sweep import Journal, journal_path

CHAIN = "examples/models/chain_model1.toml"
# 8 cases of exact equilibria, 0.1 to 0.4 s each: long enough to be killed midway
SETTINGS = [
    "--set",
    "model.n=2..5",
    "--set",
    "mechanism.name=RAW,AVE",
    "--set",
    "solver.exact=true",
]
CASES = 8


def command(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "datamech.cli", "sweep", CHAIN, *SETTINGS, "--out", str(out),
            "--quiet", *extra]  # fmt: skip


def kill_after(cmd: list[str], journal: Path, rows: int) -> int:
    """Start ``cmd``, SIGKILL it once ``journal`` holds ``rows`` lines; the lines then."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if journal.exists() and journal.read_bytes().count(b"\n") >= rows:
                break
            time.sleep(0.01)
        assert proc.poll() is None, "the sweep ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    return journal.read_bytes().count(b"\n")


def sorted_rows(path: Path) -> list[list[str]]:
    """The CSV's rows without the columns of wall times, sorted; the header first."""
    header, *rows = csv.reader(io.StringIO(path.read_text()))
    keep = [i for i, name in enumerate(header) if not name.endswith("seconds")]
    return [[header[i] for i in keep], *sorted([r[i] for i in keep] for r in rows)]


def test_a_killed_sweep_rerun_gives_the_clean_table(tmp_path, capsys):
    out = tmp_path / "killed.csv"
    done = kill_after(command(out, "--workers", "1"), journal_path(out), rows=2)
    assert 2 <= done < CASES
    assert not out.exists()  # the table is written at the end only
    rerun = subprocess.run(command(out, "--workers", "1"), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{CASES} cases in" in rerun.stdout and f"{done} resumed" in rerun.stdout
    # the clean run, in this process
    clean = tmp_path / "clean.csv"
    assert main(command(clean, "--workers", "1")[3:]) == 0
    capsys.readouterr()
    assert sorted_rows(out) == sorted_rows(clean)
    assert len(sorted_rows(out)) == CASES + 1
    # the journal holds each case once
    keys = [json.loads(line)["key"] for line in journal_path(out).read_text().splitlines()]
    assert len(keys) == len(set(keys)) == CASES


@pytest.mark.slow
def test_killed_twice_on_worker_processes_with_parquet(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    out = tmp_path / "t.parquet"
    first = kill_after(command(out, "--workers", "2"), journal_path(out), rows=2)
    second = kill_after(command(out, "--workers", "2"), journal_path(out), rows=first + 2)
    assert first < second < CASES
    assert subprocess.run(command(out, "--workers", "2"), capture_output=True).returncode == 0
    clean = tmp_path / "clean.parquet"
    assert subprocess.run(command(clean, "--workers", "1"), capture_output=True).returncode == 0
    a, b = pd.read_parquet(out), pd.read_parquet(clean)
    keep = [c for c in a.columns if not c.endswith("seconds")]
    pd.testing.assert_frame_equal(a[keep], b[keep])


# ---------------------------------------------------------------------- the journal
def test_journal_drops_a_cut_line_and_lines_of_other_cases(tmp_path):
    table = tmp_path / "t.csv"
    path = journal_path(table)
    good = [json.dumps({"key": k, "out": {"v": i}}) for i, k in enumerate("abc")]
    path.write_text(
        "\n".join([good[0], "not json", good[1], json.dumps({"key": "zzz", "out": {}}),
                   json.dumps([1]), good[0].replace('"v": 0', '"v": 9')]) + "\n" + good[2][:15]
    )  # fmt: skip
    book = Journal(table)
    done = book.open({"a", "b", "c"})
    assert done == {"a": {"v": 0}, "b": {"v": 1}}  # the first line of a key wins
    book.append("c", {"v": 2})
    book.close()
    lines = path.read_text().splitlines()
    assert [json.loads(line)["key"] for line in lines] == ["a", "b", "c"]
    assert Journal(table).open({"a", "b", "c"}, fresh=True) == {}
    assert path.read_text() == ""


def test_journal_in_a_folder_that_cannot_be_made(tmp_path):
    from datamech.errors import ModelError

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ModelError) as exc:
        Journal(blocker / "t.csv").open(set())
    assert exc.value.field == "out"


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_the_table_is_readable_like_any_file_written(tmp_path):
    from datamech.experiments.sweep import sweep

    out = tmp_path / "t.csv"
    sweep("examples/models/online_i3.toml", {"model.mechanism": ["two_stage"]}, out=out,
          workers=1, progress=False)  # fmt: skip
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask
