"""Independent oracles for the tests: code that states each problem again, plainly.

Nothing here imports :mod:`resopt`'s problem code; each module recomputes answers or checks
plans from the input tables alone, so a test that compares ``resopt`` with an oracle compares
two independent implementations.

- :mod:`oracles.placement`: ``check_plan`` (every constraint and cost of a placement plan,
  recomputed) and ``brute_force`` (every option of every replica, tiny instances).
- :mod:`oracles.reservation`: ``brute_force`` over the whole number of reserved units.
- :mod:`oracles.scheduling`: ``step_reference`` and ``event_reference``, two plain simulators
  in exact rational arithmetic, and ``reference_metrics``.

The test modules import them as ``from oracles.placement import check_plan`` (``tests/`` is on
pytest's ``pythonpath``); no test module imports another, and no oracle imports ``resopt``
(``tests/test_oracles.py`` checks both).
"""
