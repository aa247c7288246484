"""The planning layer: the demand forecast and the weekly plan built on it.

- :func:`forecast_demand` turns a usage export into hourly demand scenarios per
  pool (:class:`ForecastResult`), ready for :func:`resopt.size_reservations`.
- :func:`forecast_arrays` is its array core (``(pools, hours)`` in,
  ``(pools, scenarios, horizon)`` out).
- :mod:`.usage` reads and cleans usage tables; :mod:`.methods` holds the
  forecasting mathematics; :mod:`.synthetic` builds realistic fleets.
- :mod:`.weekly` is the weekly plan (:func:`resopt.plan_week`): :mod:`.inputs` (the input
  directory and the policy), :mod:`.summary`, :mod:`.outputs` and :mod:`.history`.
"""

from .forecast import ForecastResult, forecast_arrays, forecast_demand
from .synthetic import synthetic_fleet, synthetic_usage

__all__ = ["forecast_demand", "ForecastResult", "forecast_arrays", "synthetic_fleet", "synthetic_usage"]
