"""The tutorials (docs/tutorials/*.ipynb) execute and their assertions hold (issue 15 item 5).

Each notebook loads a model file, solves it, shows the result's table and plot, and
asserts the numbers it shows against known values (the papers, hand derivations,
brute force).  Here each one is executed from its own directory with nbclient in a
fresh kernel; a failing ``assert`` cell fails the test with the cell's traceback.  The
site renders the outputs stored in the notebooks (the build does not execute them), so
the stored copies must be complete: executed in order, no errors, a picture for every
``plot()`` and an HTML table for every result.  To refresh the stored outputs after a
change::

    python -c "from pathlib import Path; from tests.test_tutorials import execute; \\
               execute(Path('docs/tutorials/NAME.ipynb'), store=True)"
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = ROOT / "docs" / "tutorials"
# The slow ones run with -m slow (each takes 20-35 s on 2 busy cores, kernel start included).
FAST = ("mechanism",)  # the default run executes one notebook; -m slow runs them all
SLOW = ("bilateral", "scaling", "chain", "infosale", "psp")
CELL_TIMEOUT = 600


def execute(path: Path, store: bool = False):
    """Run a notebook in a fresh kernel from its own directory; return it executed."""
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    old = os.environ.get("MPLBACKEND")
    os.environ.pop("MPLBACKEND", None)  # the kernel's inline backend, as for a user
    try:
        client.execute()
    finally:
        if old is not None:
            os.environ["MPLBACKEND"] = old
    if store:
        nbformat.write(nb, path)
    return nb


def test_every_tutorial_is_tested() -> None:
    assert sorted(p.stem for p in TUTORIALS.glob("*.ipynb")) == sorted(FAST + SLOW)


def _params():
    for name in FAST:
        yield pytest.param(name, id=name)
    for name in SLOW:
        yield pytest.param(name, id=name, marks=pytest.mark.slow)


@pytest.mark.parametrize("name", list(_params()))
def test_tutorial_executes(name: str) -> None:
    nb = execute(TUTORIALS / f"{name}.ipynb")
    _check_outputs(nb, name)


@pytest.mark.parametrize("name", FAST + SLOW)
def test_stored_outputs_are_complete(name: str) -> None:
    """What the site shows: every cell run in order, no errors, plots and tables present."""
    nb = nbformat.read(TUTORIALS / f"{name}.ipynb", as_version=4)
    _check_outputs(nb, name)


def _check_outputs(nb, name: str) -> None:
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), name
    plots = tables = 0
    for cell in code:
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
        kinds = [set(o.get("data", {})) for o in cell.outputs if o.output_type != "stream"]
        last = cell.source.strip().splitlines()[-1]
        if last.endswith(".plot()"):
            # exactly one picture per plot() call (not also a duplicate from pyplot)
            assert sum("image/png" in k for k in kinds) == 1, (name, cell.source)
            plots += 1
        if last.endswith(("to_frame()", "res", "lp", "opt", "online", "cf")):
            assert any("text/html" in k for k in kinds), (name, cell.source)
            tables += 1
        for o in cell.outputs:
            if o.output_type == "stream" and o.name == "stderr":
                assert "Traceback" not in o.text, cell.source
    assert plots >= 1 and tables >= 2, name


def test_results_show_a_short_repr_and_an_html_table() -> None:
    """Item 7: one-line repr; the HTML view is that line and the table, long tables cut."""
    import dataclasses

    from datamech.results import HTML_ROWS, Result
    from datamech.status import Status

    @dataclasses.dataclass(frozen=True, repr=False)
    class Toy(Result):
        status: Status
        revenue: float
        method: str
        backend: str
        solver: str
        seconds: float
        price: tuple
        _objective_field = "revenue"
        _frame_fields = ("price",)

    rows = HTML_ROWS + 10
    toy = Toy(Status.OPTIMAL, 0.5, "lp", "highspy", "HiGHS", 0.1, tuple(range(rows)))
    assert repr(toy) == "Toy(status='optimal', revenue=0.5, method='lp', solver='HiGHS')"
    page = toy._repr_html_()
    assert page.startswith("<p><code>Toy(status='optimal', revenue=0.5")
    assert page.count("<td>") == HTML_ROWS  # one column, HTML_ROWS rows
    assert f"{HTML_ROWS} of {rows} rows" in page
    short = Toy(Status.OPTIMAL, 0.5, "lp", "highspy", "HiGHS", 0.1, (1, 2))
    assert "rows;" not in short._repr_html_() and short._repr_html_().count("<td>") == 2
