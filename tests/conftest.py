import os

from hypothesis import HealthCheck, settings

# Solver calls make examples slow to run but not flaky: no per-example deadline.
COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("default", max_examples=40, **COMMON)
settings.register_profile("ci", max_examples=40, derandomize=True, **COMMON)
# The nightly run: HYPOTHESIS_PROFILE=thorough python3 -m pytest -q
settings.register_profile("thorough", max_examples=1000, **COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "default"))
