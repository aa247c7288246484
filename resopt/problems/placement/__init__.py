"""Multi-cloud placement: workloads onto priced cloud offerings (docs/design.md).

- :mod:`.schema` validates the tables into arrays;
- :mod:`.formulation` states the model once (pairs, costs, the MILP, result tables);
- :mod:`.registry` holds the backends (each ``solve(PlacementInstance, SolveOptions) -> Solution``),
  the size rule of ``"auto"`` and the fallback to the heuristic;
- :mod:`.heuristic` is the vectorized Lagrangian bound and greedy/repair/local search;
- :mod:`.diagnosis` explains infeasibility; :mod:`.pop` partitions (POP).
"""

from .result import Diagnosis, PlacementResult
from .solve import place_workloads

__all__ = ["place_workloads", "PlacementResult", "Diagnosis"]
