"""Hypothesis profiles, chosen by the environment variable HYPOTHESIS_PROFILE.

* ``dev`` (the default, what CI runs) and ``ci`` (twice the examples) are derandomized:
  each test draws the same examples on every run (seeded from the test itself, no example
  database), so a run passes or fails the same way every time.
* ``explore`` draws fresh random examples on every run, to hunt for new counterexamples.
  Pin every counterexample it finds as an ``@example`` on its test, so the deterministic
  profiles keep checking it.

``pytest --hypothesis-seed=N`` overrides the derandomization with seed N.
"""

import os

from hypothesis import settings

settings.register_profile("dev", max_examples=30, deadline=None, derandomize=True)
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
settings.register_profile("explore", max_examples=300, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
