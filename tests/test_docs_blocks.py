"""Every code block of README.md and docs/*.md runs (issue 15 item 6).

Conventions (for whoever writes the docs):

* Every ```` ```python ```` block is executed.  The blocks of one file run in order in one
  namespace (a later block may use an earlier block's names).  A block written as a
  doctest (lines starting ``>>>``) runs as one: its printed outputs are compared
  (ELLIPSIS and NORMALIZE_WHITESPACE on).  The working directory is
  a scratch directory that links the repository's ``examples``, ``docs``, ``benchmarks``
  and ``tests``: paths are written relative to the repository root, and files a block
  writes (``dm.save(model, "copy.toml")``, ``--out out/``) never land in the repository.
* Every ``datamech ...`` command in a ```` ```bash ````, ```` ```console ````, ```` ```sh ````
  or untagged block (a leading ``$`` and ``\\`` continuations allowed, ``&&`` chains
  split) is parsed by the command's own argument parser in the default run, and the model
  files it names must exist; the slow run (``-m slow``) also executes it and requires exit
  code 0.  A command with a placeholder (``FILE``, ``DIR``, ``[--json]``, ``...``) is only
  parsed for its subcommand, never run.
* A python block whose first line is a file-name comment (``# my_checks.py``) is also
  written to that file in the scratch directory before the file's commands run, so a
  command may use it (``datamech verify FILE --module my_checks.py``).
* Put ``<!-- skip-test -->`` on the line before a block's opening fence (blank lines
  between are allowed) to leave the whole block out: for blocks that need a network, a
  cluster, or minutes of work.
* Blocks of other languages (toml, text) are not executed; model files are checked by the
  schema's own tests.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP_MARK = "<!-- skip-test -->"
SHELL_LANGS = {"bash", "console", "sh", "shell", ""}
LINKED = ("examples", "docs", "benchmarks", "tests")
# Files whose python blocks take long (minutes of solving); run with -m slow.  None
# today: README's blocks take about 30 s and belong in the default run, so that a snippet
# that drifts from the code fails CI.
SLOW_PYTHON: set[str] = set()
COMMAND_TIMEOUT = 600

FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)


@dataclass
class Block:
    path: str
    line: int
    lang: str
    source: str
    skip: bool


@dataclass
class Command:
    path: str
    line: int
    argv: list[str]
    placeholder: bool
    skip: bool = False
    text: str = field(default="")


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of a Markdown file, with the skip marker read before each."""
    text = path.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        before = text[: m.start()].rstrip().splitlines()
        skip = bool(before) and before[-1].strip() == SKIP_MARK
        line = text.count("\n", 0, m.start()) + 1
        out.append(Block(path.name, line, m.group(1).lower(), m.group(2), skip))
    return out


PLACEHOLDER = re.compile(
    r"\b(FILE|DIR|KIND|NAME|HOST|PATH|VALUES|KEY|VALUE|ADDRESS|M)\b|[][]|\.\.\."
)


NAMED_FILE = re.compile(r"#\s*([\w-]+\.py)\s*\n")


def commands(path: Path) -> list[Command]:
    """The ``datamech`` commands of a file's shell blocks."""
    out = []
    for b in blocks(path):
        if b.lang not in SHELL_LANGS:
            continue
        lines = b.source.splitlines()
        i = 0
        while i < len(lines):
            start = i
            text = lines[i].strip()
            while text.endswith("\\") and i + 1 < len(lines):
                i += 1
                text = text[:-1] + " " + lines[i].strip()
            i += 1
            text = text.removeprefix("$ ").strip()
            for part in text.split("&&"):
                try:
                    argv = shlex.split(part, comments=True)
                except ValueError:
                    continue
                if not argv or argv[0] != "datamech":
                    continue
                placeholder = any(PLACEHOLDER.search(a) for a in argv[1:])
                out.append(
                    Command(b.path, b.line + 1 + start, argv[1:], placeholder, b.skip, part.strip())
                )
    return out


def python_files() -> list[Path]:
    return [p for p in doc_files() if any(b.lang == "python" for b in blocks(p))]


def all_commands() -> list[Command]:
    return [c for p in doc_files() for c in commands(p)]


@pytest.fixture
def repo_view(tmp_path, monkeypatch):
    """A scratch working directory in which repository-relative paths resolve."""
    for name in LINKED:
        (tmp_path / name).symlink_to(ROOT / name, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.syspath_prepend(str(tmp_path))  # modules a block writes (my_checks.py)
    return tmp_path


def _python_params():
    for p in python_files():
        marks = [pytest.mark.slow] if p.name in SLOW_PYTHON else []
        yield pytest.param(p, id=str(p.relative_to(ROOT)), marks=marks)


@pytest.mark.parametrize("path", list(_python_params()))
def test_python_blocks(path: Path, repo_view) -> None:
    """The file's python blocks run in order in one namespace without an exception."""
    import matplotlib.pyplot as plt

    from datamech.symbolic import all_checks, unregister

    registered = {c.name for c in all_checks()}  # blocks may register their own checks
    namespace: dict = {"__name__": "__docs__"}
    try:
        for b in blocks(path):
            if b.lang != "python" or b.skip:
                continue
            if b.source.lstrip().startswith(">>>"):
                _run_doctest(b, namespace)
                continue
            # line numbers in tracebacks are the Markdown file's
            code = compile("\n" * b.line + b.source, f"{b.path}:{b.line}", "exec")
            try:
                exec(code, namespace)
            except Exception as exc:
                raise AssertionError(
                    f"{b.path}, python block at line {b.line}: {type(exc).__name__}: {exc}"
                ) from exc
    finally:
        plt.close("all")
        for check in all_checks():
            if check.name not in registered:
                unregister(check.name)


def _run_doctest(b: Block, namespace: dict) -> None:
    """Run a ``>>>`` block as a doctest in the file's namespace; fail on any mismatch."""
    import doctest

    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    test = doctest.DocTestParser().get_doctest(b.source, namespace, b.path, b.path, b.line)
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=flags)
    runner.run(test, out=report.append, clear_globs=False)
    namespace.update(test.globs)  # DocTest ran on a copy; later blocks see its names
    if runner.failures:
        raise AssertionError(f"{b.path}, doctest block at line {b.line}:\n" + "".join(report))


@functools.cache
def _cli_parser():
    from datamech import cli

    # the command's own parser (cli._parser until the CLI makes it public as build_parser)
    build = getattr(cli, "build_parser", None) or cli._parser
    return build()


def _command_id(c: Command) -> str:
    return f"{c.path}:{c.line}:{' '.join(c.argv)[:60]}"


@pytest.mark.parametrize("cmd", all_commands(), ids=_command_id)
def test_command_parses(cmd: Command) -> None:
    """The command's subcommand and flags exist, and the model files it names exist."""
    if cmd.placeholder:
        assert cmd.argv and cmd.argv[0] in _subcommands(), cmd.text
        return
    try:
        _cli_parser().parse_args(cmd.argv)
    except SystemExit as exc:  # argparse: exit 2 on an unknown flag or subcommand
        raise AssertionError(f"{cmd.path}:{cmd.line}: `{cmd.text}` does not parse") from exc
    for arg in cmd.argv:
        if arg.endswith(".toml"):
            assert (ROOT / arg).is_file(), f"{cmd.path}:{cmd.line}: {arg} does not exist"


def _subcommands() -> set[str]:
    import argparse

    parser = _cli_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


@pytest.mark.slow
@pytest.mark.parametrize(
    "cmd", [c for c in all_commands() if not c.placeholder and not c.skip], ids=_command_id
)
def test_command_runs(cmd: Command, repo_view) -> None:
    """The command runs and exits 0 (in the scratch directory, outputs discarded)."""
    for b in blocks(ROOT / ("README.md" if cmd.path == "README.md" else f"docs/{cmd.path}")):
        named = NAMED_FILE.match(b.source)
        if b.lang == "python" and named:
            (repo_view / named.group(1)).write_text(b.source, encoding="utf-8")
    exe = Path(sys.executable).with_name("datamech")
    argv = [str(exe)] if exe.exists() else [sys.executable, "-m", "datamech.cli"]
    proc = subprocess.run(
        [*argv, *cmd.argv],
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert proc.returncode == 0, (
        f"{cmd.path}:{cmd.line}: `{cmd.text}` exited {proc.returncode}: {proc.stderr[-2000:]}"
    )


# ---------------------------------------------------------------- the extractor itself
def test_extractor_reads_blocks_markers_and_continuations(tmp_path) -> None:
    doc = tmp_path / "x.md"
    doc.write_text(
        "text\n\n```python\nx = 1\n```\n\n<!-- skip-test -->\n\n```python\nraise SystemExit\n```\n"
        "```console\n$ datamech solve examples/models/offline_i3.toml \\\n    --json  # c\n"
        "pip install -e . && datamech reproduce table1\ndatamech solve FILE --exact\n```\n"
        "```toml\n[model]\n```\n"
    )
    bs = blocks(doc)
    assert [(b.lang, b.skip, b.line) for b in bs] == [
        ("python", False, 3),
        ("python", True, 9),
        ("console", False, 12),
        ("toml", False, 18),
    ]
    cs = commands(doc)
    assert [c.argv for c in cs] == [
        ["solve", "examples/models/offline_i3.toml", "--json"],
        ["reproduce", "table1"],
        ["solve", "FILE", "--exact"],
    ]
    assert [c.placeholder for c in cs] == [False, False, True]
    assert [c.line for c in cs] == [13, 15, 16]
    assert NAMED_FILE.match("# my_checks.py\nimport datamech\n").group(1) == "my_checks.py"
    assert NAMED_FILE.match("# the checks of my_checks.py\n") is None


def test_a_drifted_flag_is_caught() -> None:
    bad = Command("x.md", 1, ["solve", "examples/models/offline_i3.toml", "--no-such-flag"], False)
    with pytest.raises(AssertionError, match="does not parse"):
        test_command_parses(bad)
    missing = Command("x.md", 1, ["solve", "examples/models/no_such_file.toml"], False)
    with pytest.raises(AssertionError, match="does not exist"):
        test_command_parses(missing)
