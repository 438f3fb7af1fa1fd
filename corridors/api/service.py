"""What the HTTP handlers call: parse a request into library calls on one shared planner.

The planner caches cost models and is not thread-safe, so every call into it holds one lock;
a server that must answer in parallel runs several worker processes
(``corridors serve --workers N``).  The served planner keeps at most
:attr:`~corridors.api.models.Limits.cached_models` cost models (least recently used dropped),
so memory does not grow with the number of distinct shipments asked.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from corridors.api.errors import LimitExceededError
from corridors.api.models import LIMITS, CompareRequest, Limits, MatrixRequest, RouteMapQuery
from corridors.planner import Planner, Route
from corridors.shipment import Shipment, shipment_defaults
from geodata.errors import InvalidInputError
from geodata.network import load_network

__all__ = ["Service", "rows_to_csv"]

log = logging.getLogger(__name__)
T = TypeVar("T")


def _split(text: str, what: str, limit: int) -> list[str]:
    items = [x.strip() for x in text.split(",") if x.strip()]
    if len(items) > limit:
        raise LimitExceededError(
            f"at most {limit} {what} may be given, not {len(items)}", limit, len(items)
        )
    return items


def _date(text: str | None) -> dt.date:
    return Shipment.parse_date(text) if text else dt.date.today()


def rows_to_csv(rows: Sequence[dict[str, Any]]) -> str:
    """Rows of equal keys as CSV text with a header line."""
    if not rows:
        return ""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


class Service:
    """One planner shared by every request, built on first use.

    Parameters
    ----------
    planner
        The planner to use (e.g. a test's); by default a
        :class:`~corridors.planner.Planner` with a bounded model cache on ``network_file``
        is built at the first request.
    network_file
        The network to serve (default: the embedded one).
    limits
        The request limits.
    """

    def __init__(
        self,
        planner: Planner | None = None,
        *,
        network_file: Path | None = None,
        limits: Limits = LIMITS,
    ) -> None:
        self._planner = planner
        self.network_file = network_file
        self.limits = limits
        self._lock = threading.RLock()  # held while the planner works
        self._build_lock = threading.Lock()  # held while the planner is built

    @property
    def planner(self) -> Planner:
        """The shared planner (built at the first call; reading it does not wait for work)."""
        if self._planner is None:
            with self._build_lock:
                if self._planner is None:
                    self._planner = Planner(
                        load_network(self.network_file), max_models=self.limits.cached_models
                    )
        return self._planner

    @property
    def ready(self) -> bool:
        """Whether the planner is built (its network loaded)."""
        return self._planner is not None

    @planner.setter
    def planner(self, planner: Planner) -> None:
        """Use ``planner`` from now on (e.g. one whose cost models are already built)."""
        with self._lock, self._build_lock:
            self._planner = planner

    def locked(self, func: Callable[[Planner], T]) -> T:
        """Run ``func(planner)`` holding the planner's lock."""
        with self._lock:
            return func(self.planner)

    # ----------------------------------------------------------------------------- routes
    def routes(self, q: RouteMapQuery) -> list[Route]:
        """The routes a :class:`RouteMapQuery` asks for (best first)."""
        departure = _date(q.date)
        deadline = None
        if q.deadline:
            deadline = dt.datetime.combine(
                Shipment.parse_date(q.deadline), dt.time(23, 59), tzinfo=dt.UTC
            )
        modes = _split(q.modes, "modes", len(("road", "rail", "ferry", "sea")))
        avoid = _split(q.avoid, "places to avoid", self.limits.max_avoid)
        via = _split(q.via, "via places", self.limits.max_via)
        if via and (q.k != 1 or q.pareto):
            raise InvalidInputError("via gives one route; use it with k=1 and without pareto")

        def run(planner: Planner) -> list[Route]:
            o = planner.places.resolve(q.origin)
            for name in via:  # unknown names fail before a cost model is built
                planner.places.resolve(name)
            planner.parse_avoid(avoid)
            carrier = q.carrier or planner.default_shipment(o, departure).carrier
            shipment = Shipment(
                carrier=carrier.upper(),
                departure=departure,
                cargo=q.cargo,
                tonnes=q.tonnes,
                value_usd=q.value_usd
                if q.value_usd is not None
                else float(shipment_defaults()["value_usd"]["value"]),
                tir=q.tir,
                value_of_time_pct_per_day=q.vot,
                backhaul=q.backhaul,
            )
            common: dict[str, Any] = {
                "modes": modes,
                "include_planned": q.planned,
                "shipment": shipment,
                "deadline": deadline,
                "avoid": avoid,
            }
            if q.pareto:
                return planner.pareto(q.origin, q.destination, **common)
            return planner.routes(
                q.origin, q.destination, k=q.k, objective=q.objective, via=via, **common
            )

        return self.locked(run)

    @staticmethod
    def geojson(routes: Iterable[Route]) -> dict[str, Any]:
        """All routes' legs as one FeatureCollection; ``properties.route`` numbers the route."""
        features = []
        for i, r in enumerate(routes):
            for f in r.to_geojson()["features"]:
                f["properties"].update(route=i, label=r.label)
                features.append(f)
        return {"type": "FeatureCollection", "features": features}

    @staticmethod
    def route_map_html(routes: Sequence[Route]) -> str:
        """A self-contained HTML map of the routes (the first on top)."""
        from maps.route_map import route_maps

        return str(route_maps([r.to_dict() for r in routes]).get_root().render())

    # ----------------------------------------------------------------------------- matrix
    def matrix(self, req: MatrixRequest) -> list[dict[str, Any]]:
        """Rows of :meth:`corridors.planner.Planner.matrix` for a :class:`MatrixRequest`."""
        cells = len(req.origins) * len(req.destinations)
        if cells > self.limits.max_matrix_cells:
            raise LimitExceededError(
                f"a matrix may have at most {self.limits.max_matrix_cells} cells "
                f"(origins × destinations), not {cells}",
                self.limits.max_matrix_cells,
                cells,
            )
        for name in (*req.origins, *req.destinations):
            if not name.strip() or len(name) > self.limits.max_text_chars:
                raise InvalidInputError(
                    f"a place must be 1-{self.limits.max_text_chars} characters"
                )
        departure = _date(req.date)
        shipment = Shipment(req.carrier.upper(), departure) if req.carrier else None
        return self.locked(
            lambda planner: planner.matrix(
                req.origins,
                req.destinations,
                objective=req.objective,
                modes=list(req.modes),
                include_planned=req.planned,
                shipment=shipment,
                departure=departure,
                backhaul=req.backhaul,
            )
        )

    # ----------------------------------------------------------------------------- scenarios
    def compare(self, req: CompareRequest) -> Any:
        """The :class:`corridors.scenarios.Comparison` a :class:`CompareRequest` asks for."""
        from corridors.scenarios import ScenarioError, compare, scenario_names

        shipped = scenario_names()
        for name in (req.a, req.b):
            if name not in shipped:  # only shipped names: the API never reads a client's path
                close = difflib.get_close_matches(name, shipped, n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise ScenarioError(
                    f"unknown scenario {name!r}{hint} (shipped: {', '.join(shipped)})"
                )
        for o, d in req.pairs:
            for name in (o, d):
                if not name.strip() or len(name) > self.limits.max_text_chars:
                    raise InvalidInputError(
                        f"a place must be 1-{self.limits.max_text_chars} characters"
                    )
        departure = _date(req.date) if req.date else None
        carrier = req.carrier.upper() if req.carrier else None
        return self.locked(
            lambda _planner: compare(
                req.a,
                req.b,
                [(o, d) for o, d in req.pairs],
                departure=departure,
                carrier=carrier,
                objective=req.objective,
            )
        )

    @staticmethod
    def scenarios() -> list[dict[str, Any]]:
        """The shipped scenarios as plain data."""
        from corridors.scenarios import list_scenarios

        return [s.to_dict() for s in list_scenarios()]
