"""A sweep's files: the journal of finished cases and the table written from it.

The journal (``results.csv.journal`` next to ``results.csv``) holds one JSON line per
finished case — its key and its row — appended as the case finishes, so a sweep that
is killed loses at most the cases that were running.  A rerun reads it back, skips the
cases it holds and appends the rest; the table (CSV or Parquet) is then written from
all rows in grid order, atomically (a temporary file renamed over the old one).  A
line cut short by a kill is dropped, lines of cases no longer in the grid are pruned,
and a second sweep on the same table while the first runs is refused (a file lock).

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     j = Journal(Path(d) / "t.csv")
...     j.open({"k1", "k2"})
...     j.append("k1", {"objective": 0.5})
...     j.close()
...     Journal(Path(d) / "t.csv").open({"k1", "k2"})
{}
{'k1': {'objective': 0.5}}
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
from pathlib import Path
from typing import Any

from ...errors import ModelError

try:  # advisory locks (POSIX); elsewhere a second sweep on one table is not detected
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["Journal", "check_table_path", "journal_path", "write_table"]

#: At most this many seconds of finished rows wait in the page cache before an fsync
#: (a machine crash can cost them; they are recomputed on the rerun, never lost).
SYNC_SECONDS = 1.0


def journal_path(table: str | os.PathLike) -> Path:
    """Where the journal of the table ``table`` lives.

    >>> journal_path("out/results.parquet").as_posix()
    'out/results.parquet.journal'
    """
    p = Path(table)
    return p.with_name(p.name + ".journal")


class Journal:
    """The finished cases of one sweep, one JSON line each (see the module's notes)."""

    def __init__(self, table: str | os.PathLike):
        self.table = Path(table)
        self.path = journal_path(table)
        self._fd: int | None = None
        self._synced = 0.0

    def open(self, keys: set[str], fresh: bool = False) -> dict[str, dict[str, Any]]:
        """Lock the journal and return the rows it holds for ``keys`` (``{key: row}``).

        ``fresh`` deletes it first.  Lines of other keys and a cut-off last line are
        dropped from the file.
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if fresh:
                self.path.unlink(missing_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            raise ModelError("out", f"cannot write {self.path} ({exc.strerror or exc})") from None
        self._lock(fd)
        raw = b""
        while chunk := os.read(fd, 1 << 20):
            raw += chunk
        *lines, tail = raw.split(b"\n")
        done: dict[str, dict[str, Any]] = {}
        kept: list[bytes] = []
        for line in lines:
            entry = _entry(line)
            if entry is not None and entry[0] in keys and entry[0] not in done:
                done[entry[0]] = entry[1]
                kept.append(line)
        if tail or len(kept) != len(lines):
            fd = self._rewrite(fd, kept)
        self._fd = fd
        return done

    def _lock(self, fd: int) -> None:
        if fcntl is None:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise ModelError(
                "out", f"another sweep is writing {self.table} (its journal {self.path} is locked)"
            ) from None

    def _rewrite(self, fd: int, lines: list[bytes]) -> int:
        """Replace the journal by ``lines`` atomically; return the new, locked descriptor."""
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "wb") as fh:
            fh.write(b"".join(line + b"\n" for line in lines))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        new = os.open(self.path, os.O_RDWR | os.O_APPEND)
        self._lock(new)
        os.close(fd)  # releases the lock on the replaced file
        return new

    def append(self, key: str, row: dict[str, Any]) -> None:
        """Add one finished case (a single write of one line; synced at most every second)."""
        if self._fd is None:
            raise RuntimeError("the journal is not open")
        data = memoryview(
            (json.dumps({"key": key, "out": row}, separators=(",", ":")) + "\n").encode()
        )
        while data:
            data = data[os.write(self._fd, data) :]
        now = time.monotonic()
        if now - self._synced >= SYNC_SECONDS:
            os.fsync(self._fd)
            self._synced = now

    def close(self) -> None:
        """Sync and unlock."""
        if self._fd is not None:
            try:
                os.fsync(self._fd)
            finally:
                os.close(self._fd)
                self._fd = None


def _entry(line: bytes) -> tuple[str, dict[str, Any]] | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    if not isinstance(entry, dict):
        return None
    key, row = entry.get("key"), entry.get("out")
    return (key, row) if isinstance(key, str) and isinstance(row, dict) else None


# ---------------------------------------------------------------------- the table
def write_table(frame, path: str | os.PathLike) -> Path:
    """Write a sweep table as CSV (``.csv``) or Parquet (``.parquet``) by the extension.

    The folder is created if needed and the file is replaced atomically.  Parquet
    needs pyarrow (or fastparquet); without either a :class:`ModelError` says what to
    install.  Object columns that mix types (``0.5`` in one row, ``"1/3"`` in another)
    are written to Parquet as text.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_table(pd.DataFrame({"n": [2, 3]}), Path(d) / "out.csv")
    ...     p.read_text()
    'n\\n2\\n3\\n'
    """
    p = check_table_path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
        try:
            if p.suffix.lower() == ".csv":
                frame.to_csv(tmp, index=False)
            else:
                _parquet_ready(frame).to_parquet(tmp, index=False)
            os.replace(tmp, p)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        raise ModelError("path", f"cannot write {p} ({exc.strerror or exc})") from None
    return p


def _parquet_ready(frame):
    """Parquet columns hold one type: mixed object columns become text."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if column.dtype != object:
            continue
        kinds = {type(v) for v in column if v is not None and v == v}
        if len(kinds) > 1 and not kinds <= {int, float}:
            out[name] = [None if v is None or v != v else str(v) for v in column]
    return out


def check_table_path(path: str | os.PathLike) -> Path:
    """Check that :func:`write_table` can write this format, before a long sweep runs.

    >>> check_table_path("results.csv").name
    'results.csv'
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ModelError(
            "path", f"unknown table format {p.suffix or '(none)'!r} for {p} (use .csv or .parquet)"
        )
    if suffix == ".parquet" and not _parquet_engine():
        raise ModelError(
            "path", f"writing Parquet ({p}) needs pyarrow; install with: pip install pyarrow"
        )
    if p.exists() and p.is_dir():
        raise ModelError("path", f"{p} is a folder, not a file")
    return p


def _parquet_engine() -> bool:
    return any(importlib.util.find_spec(m) is not None for m in ("pyarrow", "fastparquet"))
