"""Door-to-door time as a distribution: P50, P90 and the chance of meeting a deadline.

Border crossing times are lognormal with the posts' dispersion (``border_posts.toml``);
every other item of the bill keeps its hours.  Draws are walked through the posts'
opening schedules (:func:`routing.simulate_with_schedule`), so a slow crossing that makes a
truck reach Torugart on a Saturday waits until Monday in that draw.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from corridors.rules import crossing_figures
from corridors.rules.query import open_throughout, opening_at
from geodata.errors import InvalidInputError
from routing import Step, simulate_with_schedule, summary

if TYPE_CHECKING:
    from corridors.bill import Bill
    from corridors.costing import CostModel

__all__ = ["DEFAULT_DRAWS", "reliability", "route_steps"]

#: Draws per route: enough for a stable P90 (its standard error is about 1 % of the spread).
DEFAULT_DRAWS = 1000


def route_steps(model: CostModel, bill: Bill) -> tuple[list[Step], dict[int, tuple[str, str, str]]]:
    """The bill as simulation steps, and the (post, direction, mode) of the scheduled ones.

    Border crossings are lognormal with their post's sigma (unlisted posts: the default);
    waits are left out because every draw finds its own.
    """
    sh = model.shipment
    default_sigma = model.rules.border_posts.defaults.sigma.value
    steps: list[Step] = []
    posts: dict[int, tuple[str, str, str]] = {}
    for it in bill.items:
        if it.kind == "wait":
            continue
        if it.kind != "border":
            steps.append(Step(it.hours))
            continue
        key = it.details.get("post_key")
        if key:
            fig = crossing_figures(
                key,
                it.details["direction"],
                sh.departure,
                carrier=it.details.get("carrier"),
                tir=sh.tir,
                rules=model.rules,
            )
            posts[len(steps)] = (key, it.details["direction"], it.details["mode"])
            steps.append(Step(it.hours, fig.sigma, scheduled=True))
        else:
            steps.append(Step(it.hours, default_sigma))
    return steps, posts


def reliability(
    model: CostModel,
    bill: Bill,
    *,
    n: int = DEFAULT_DRAWS,
    seed: int = 0,
    deadline: dt.datetime | None = None,
    openings: dict[Any, dt.datetime | None] | None = None,
) -> dict[str, Any]:
    """P50/P90/mean door-to-door hours, and the probability of arriving by ``deadline``.

    ``openings`` is a memo of the posts' openings (post, direction, mode, arrival) that the
    routes of one query share (they cross the same posts at the same hours); pass the same
    dict for routes of the same model only.

    Raises
    ------
    InvalidInputError
        If the deadline is not after the departure (checked before any draw).
    PostClosedError
        If a draw reaches a post after it has shut for good.
    """
    sh = model.shipment
    departure = sh.departure_time()
    steps, posts = route_steps(model, bill)

    memo: dict[Any, dt.datetime | None] = {} if openings is None else openings
    # posts open at every moment after the departure never make a draw wait
    never_shut = {
        i: open_throughout(key, direction, departure, mode=mode, rules=model.rules)
        for i, (key, direction, mode) in posts.items()
    }

    def opening(i: int, arrival: dt.datetime) -> dt.datetime | None:
        if never_shut[i]:
            return None
        key, direction, mode = posts[i]
        at = (key, direction, mode, arrival)
        if at not in memo:
            memo[at] = opening_at(key, direction, arrival, mode=mode, rules=model.rules)
        return memo[at]

    # the input is checked before any draw (a draw may raise PostClosedError, which the
    # planner turns into a caveat: a bad deadline must not hide behind it)
    limit = None
    if deadline is not None:
        if deadline.tzinfo is None:
            deadline = deadline.replace(tzinfo=dt.UTC)
        limit = (deadline - departure) / dt.timedelta(hours=1)
        if limit <= 0:
            raise InvalidInputError(
                f"deadline {deadline.date().isoformat()} is not after the departure "
                f"{sh.departure.isoformat()}"
            )
    samples = simulate_with_schedule(steps, departure, opening, n=n, seed=seed)
    out = summary(samples, deadline_hours=limit)
    out.update(draws=n, seed=seed)
    if deadline is not None:
        out["deadline"] = deadline.isoformat()
    return out
