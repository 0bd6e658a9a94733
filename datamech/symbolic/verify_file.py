"""``datamech verify``: the registered checks, or the checks that apply to a model file.

* :func:`verify` is the whole command: ``datamech verify [NAME ...] [--family F]
  [--json] [--module M ...]`` runs the registered checks of no arguments (the papers'
  identities); ``datamech verify FILE.toml [--json] [--module M ...]`` runs
  :func:`verify_file`.
* :func:`verify_file` loads the model in FILE and runs the model checks of its kind
  (:mod:`datamech.symbolic.file_checks`, and the user's), each reporting pass/fail and
  the identity with the model's numbers substituted.
* :func:`load_modules` imports the user's check modules named by ``--module``.  This is
  an explicit opt-in to run the user's own code: the module is imported (a module name
  importable from the current directory, or a path to a ``.py`` file), and its
  ``@datamech.symbolic.register(...)`` checks join the run.

Each returns ``(report, exit_code)``: the text (or one JSON object with ``--json``) and
0 when every check passed, 1 when one failed.  Bad input (a missing file, an unknown
check, a module that does not import) raises ``ModelError`` (exit 2 in the CLI).

>>> report, code = verify_file("examples/models/bilateral_b1.toml")
>>> code, report.splitlines()[-1]
(0, '3 passed, 0 failed, 0 skipped')
"""

from __future__ import annotations

import importlib
import importlib.util
import json as json_module
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..errors import ModelError
from .file_checks import forget
from .registry import (
    CheckResult,
    Skipped,
    all_checks,
    model_checks,
    run_checks,
    run_model_checks,
)

__all__ = ["load_modules", "verify", "verify_file"]


def load_modules(names: Iterable[str | os.PathLike]) -> list[str]:
    """Import the user's check modules (runs their code: an explicit opt-in).

    Parameters
    ----------
    names : iterable of str or path
        Module names (importable from the current directory or ``sys.path``) or paths
        to ``.py`` files.

    Returns
    -------
    list of str
        The modules' import names (what :func:`~datamech.symbolic.model_checks` takes).

    Raises
    ------
    ModelError
        ``verify.module``: the module does not exist, or importing it failed (the
        exception is named in one line).
    """
    loaded = []
    for name in names:
        if isinstance(name, os.PathLike):
            name = os.fspath(name)
        if not isinstance(name, str) or not name.strip():
            raise ModelError("verify.module", f"must be a module name or a .py path, got {name!r}")
        try:
            loaded.append(_import(name.strip()))
        except ModelError:
            raise
        except ModuleNotFoundError as exc:
            if exc.name and name.strip().startswith(exc.name):
                raise ModelError(
                    "verify.module",
                    f"no module named {name!r} (give an importable module name, or a path "
                    "to a .py file)",
                ) from None
            raise ModelError("verify.module", f"importing {name!r} failed: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - the user's module raised: one line, exit 2
            raise ModelError(
                "verify.module", f"importing {name!r} failed ({type(exc).__name__}: {exc})"
            ) from None
    return loaded


def _import(name: str) -> str:
    if name.endswith(".py"):
        path = Path(name).resolve()
        if not path.is_file():
            raise ModelError("verify.module", f"{name} does not exist")
        mod_name = f"datamech_user_checks_{path.stem}"
        if mod_name in sys.modules and getattr(sys.modules[mod_name], "__file__", "") == str(path):
            return mod_name
        spec = importlib.util.spec_from_file_location(mod_name, path)
        if spec is None or spec.loader is None:
            raise ModelError("verify.module", f"{name} cannot be imported")
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(mod_name, None)
            raise
        return mod_name
    cwd = os.getcwd()
    added = cwd not in sys.path
    if added:
        sys.path.insert(0, cwd)
    try:
        importlib.import_module(name)
    finally:
        if added:
            sys.path.remove(cwd)
    return name


def verify_file(
    path: str | os.PathLike, json: bool = False, modules: Sequence[str | os.PathLike] = ()
) -> tuple[str, int]:
    """Run the checks that apply to the model in ``path`` (``datamech verify FILE``).

    Parameters
    ----------
    path : str or Path
        A model file (TOML) of any kind.
    json : bool
        Report as one JSON object: ``file``, ``kind``, ``passed``, ``failed``,
        ``skipped``, ``checks`` (name, family, passed, identity, detail, seconds; the
        detail is the identity with the model's numbers) and ``skipped_checks`` (name,
        family, identity, reason).
    modules : sequence of str
        User check modules to import and include (:func:`load_modules`).

    Returns
    -------
    (report, exit_code)
        ``exit_code`` is 0 when every check that applies passed, else 1.

    Raises
    ------
    ModelError
        The file cannot be loaded (naming the field), or a module cannot be imported.
    """
    from ..models.io import kind_of, load

    model = load(path)
    kind = kind_of(model)
    users = load_modules(modules)
    try:
        results = run_model_checks(model, model_checks(kind, users))
    finally:
        forget(model)
    done = [r for r in results if isinstance(r, CheckResult)]
    skipped = [r for r in results if isinstance(r, Skipped)]
    failed = [r for r in done if not r.passed]
    code = 1 if failed else 0
    if json:
        return json_module.dumps(
            {
                "file": str(path),
                "kind": kind,
                "passed": len(done) - len(failed),
                "failed": len(failed),
                "skipped": len(skipped),
                "checks": [r.to_dict() for r in done],
                "skipped_checks": [r.to_dict() for r in skipped],
            }
        ), code
    lines = [f"datamech verify {path} (kind {kind})"]
    for r in results:
        if isinstance(r, Skipped):
            lines.append(f"SKIP  {r.name}: {r.reason}")
            continue
        lines.append(f"{'PASS' if r.passed else 'FAIL'}  {r.name}: {r.identity}")
        lines.extend(f"      {line}" for line in r.detail.splitlines() if line)
    if not results:
        lines.append(f"no checks apply to kind {kind}")
    lines.append(f"{len(done) - len(failed)} passed, {len(failed)} failed, {len(skipped)} skipped")
    return "\n".join(lines), code


def verify(
    names: Sequence[str] = (),
    family: str | None = None,
    json: bool = False,
    modules: Sequence[str] = (),
) -> tuple[str, int]:
    """The ``datamech verify`` command: a model file (one NAME ending in ``.toml``, or an
    existing file) goes to :func:`verify_file`; otherwise the registered checks of no
    arguments run (all, the ``names``, a ``family``, or with ``modules`` and nothing
    else: the modules' own).

    >>> report, code = verify(["chain.ave_budget_balance"])
    >>> code, report.splitlines()[-1]
    (0, '1 passed, 0 failed')
    """
    names = list(names)
    files = [n for n in names if str(n).endswith(".toml") or os.path.isfile(n)]
    if files:
        if len(names) > 1 or family is not None:
            raise ModelError("verify.file", "give one model file, without check names or --family")
        return verify_file(files[0], json=json, modules=modules)
    users = load_modules(modules)
    if users and not names and family is None:
        mine = [c for c in all_checks() if c.module in users and not c.takes_model]
        if not mine:
            raise ModelError(
                "verify.module",
                f"{', '.join(modules)} registers no checks of no arguments (model checks "
                "run with a model file: datamech verify FILE --module ...)",
            )
        names = [c.name for c in mine]
    results = run_checks(names=names or None, family=family)
    failed = [r for r in results if not r.passed]
    if json:
        report = json_module.dumps(
            {
                "passed": len(results) - len(failed),
                "failed": len(failed),
                "checks": [r.to_dict() for r in results],
            }
        )
    else:
        lines = []
        for r in results:
            lines.append(f"{'PASS' if r.passed else 'FAIL'}  {r.name}: {r.identity}")
            if not r.passed and r.detail:
                lines.append(f"      {r.detail}")
        lines.append(f"{len(results) - len(failed)} passed, {len(failed)} failed")
        report = "\n".join(lines)
    return report, 1 if failed else 0
