"""Shared pytest setup: a non-interactive matplotlib backend for in-process widget tests, and
the hypothesis profiles of the property tests.

Hypothesis profiles (``HYPOTHESIS_PROFILE=name``, or ``pytest --hypothesis-profile=name``):

* ``ci`` (the default when ``CI=true``, as CI sets): derandomised, so every run tries the same
  examples and a test cannot fail by chance; nothing is written to ``.hypothesis/``.
* ``dev`` (the default elsewhere): random examples, 40 per property, a new draw on each run;
  a failure prints the ``@reproduce_failure`` line that replays it.
* ``explore``: like ``dev`` with 1000 examples per property (25x as many), for a deliberate
  hunt: ``HYPOTHESIS_PROFILE=explore .venv/bin/python -m pytest tests/test_properties.py``.

Tests that set ``max_examples`` themselves keep their number in every profile.
"""
import os

from hypothesis import settings

os.environ.setdefault("MPLBACKEND", "Agg")

settings.register_profile("ci", max_examples=40, derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", max_examples=40, database=None, print_blob=True)
settings.register_profile("explore", max_examples=1000, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "dev"))
