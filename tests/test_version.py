"""One version everywhere: pyproject, the package, the installed metadata, the command
and CITATION.cff (issue 15 item 8); the changelog keeps an Unreleased section."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import datamech

ROOT = Path(__file__).resolve().parent.parent


def _citation() -> dict[str, str]:
    """The top-level scalar keys of CITATION.cff (a flat YAML subset; no yaml needed)."""
    out = {}
    for line in (ROOT / "CITATION.cff").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([a-z-]+):\s*(\S.*)?$", line)
        if m and m.group(2) and not m.group(2).startswith(">"):
            out[m.group(1)] = m.group(2).strip().strip("\"'")
    return out


def test_every_place_agrees_on_the_version() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    cli = subprocess.run(
        [sys.executable, "-c", "from datamech.cli import main; main(['--version'])"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.strip() == f"datamech {pyproject}"
    assert datamech.__version__ == pyproject
    assert version("datamech") == pyproject, "stale install: pip install -e ."
    assert _citation()["version"] == pyproject


def test_citation_is_cff_1_2() -> None:
    cff = _citation()
    assert cff["cff-version"] == "1.2.0"
    assert cff["title"] == "datamech"
    assert "message" in cff
    text = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert re.search(r"^authors:\n  - name: datamech developers$", text, re.M)


def test_changelog_keeps_an_unreleased_section() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    sections = re.findall(r"^## \[([^\]]+)\]", text, re.M)
    assert sections and sections[0] == "Unreleased"
    unreleased = text.split("## [Unreleased]", 1)[1].split("\n## [", 1)[0]
    for kind in ("Added", "Changed", "Deprecated", "Fixed"):
        assert f"\n### {kind}\n" in unreleased, kind
