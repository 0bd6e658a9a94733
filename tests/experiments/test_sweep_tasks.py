"""Tasks for the sweep engine's tests, run in worker processes (no tests here).

They live in a module of their own that imports nothing heavy, so a worker process
(local or Dask) that unpickles one starts quickly.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def slow_square(payload):
    """Note the attempt (case and process id) in a folder, sleep, return the square."""
    x, folder = payload["x"], Path(payload["folder"])
    (folder / f"{x}-{os.getpid()}-{time.monotonic_ns()}").touch()
    time.sleep(payload["sleep"])
    return {"x": x, "square": x * x}


def suicidal(payload):
    """Kill the process running it when ``x`` is negative."""
    if payload["x"] < 0:
        os.kill(os.getpid(), signal.SIGKILL)
    return {"x": payload["x"]}
