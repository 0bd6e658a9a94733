"""docs/model-files.md is generated from the declarations and current (issue 15 item 2)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from datamech.schema import docs
from datamech.schema.registry import FILES

ROOT = Path(__file__).parent.parent
DOC = ROOT / "docs" / "model-files.md"
EXAMPLES = sorted((ROOT / "examples" / "models").glob("*.toml"))


@pytest.fixture(scope="module")
def text() -> str:
    return docs.reference()


def test_reference_is_current(text):
    """CI fails when a declaration changes without `python -m datamech.schema.docs`."""
    assert DOC.read_text(encoding="utf-8") == text, "run: python -m datamech.schema.docs"


def test_check_flag(tmp_path, text):
    stale = tmp_path / "model-files.md"
    stale.write_text("old\n")
    assert docs.main(["--check", "--output", str(stale)]) == 1
    assert docs.main(["--output", str(stale)]) == 0
    assert docs.main(["--check", "--output", str(stale)]) == 0
    assert stale.read_text() == text


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## ", text, flags=re.M)
    return {p.split("\n", 1)[0]: p for p in parts[1:]}


def _paths(data, prefix=""):
    """Every key path of a parsed file, arrays written ``name[]``."""
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else key
        yield path
        if isinstance(value, dict) and key != "solver":
            yield from _paths(value, path)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for v in value:
                yield from _paths(v, f"{path}[]")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_key_of_every_example_is_documented(text, path):
    data = tomllib.loads(path.read_text())
    sections = _sections(text)
    kind = data["model"]["kind"]
    name = "chain_continuous" if kind == "chain" and "support" in data["model"] else kind
    own = next(body for title, body in sections.items() if title.startswith(f"{name}: "))
    families = "".join(body for title, body in sections.items()
                       if title in ("Type laws", "PSP valuations", "Chain kernels"))  # fmt: skip
    rows = set(re.findall(r"^\| `([^`]+)` \|", own, re.M))
    family_keys = set(re.findall(r"^\| `([^`]+)` \|", families, re.M))
    for key in _paths(data):
        if key.startswith("solver."):
            continue
        if key in rows:
            continue
        # inside a shared family (a law, a valuation, a kernel): the family lists it
        leaf = key.rsplit(".", 1)[-1]
        assert leaf in family_keys and any(key.startswith(r + ".") or key.startswith(r + "[]")
                                           for r in rows), key  # fmt: skip


def test_every_kind_and_family_has_a_section_and_an_example(text):
    sections = _sections(text)
    for name, decl in FILES.items():
        body = next(b for t, b in sections.items() if t.startswith(f"{name}: "))
        assert "```toml" in body and f'kind = "{decl.kind}"' in body
    for title in ("Type laws", "PSP valuations", "Chain kernels"):
        assert sections[title].count("```toml") == sections[title].count("### family")


def test_toml_examples_in_the_reference_parse(text):
    for block in re.findall(r"```toml\n(.*?)```", text, re.S):
        tomllib.loads(block)
