"""The batch evaluator's fallbacks and its forked path, on the embedded network and rules.

:class:`~corridors.scenarios.batch.BatchEvaluator` routes a value *directly* (through its
``direct`` callback) wherever it cannot certify the answer.  These tests reach each fallback
with real scenarios, record which pairs went to the callback (which delegates to the real
value-by-value routing, :func:`corridors.scenarios.sweep._run`), and check every row against
a direct run.  Evaluators are built once per module (a build costs 1–4 s).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from corridors.cli import cli
from corridors.scenarios import apply_scenario, load_scenario
from corridors.scenarios import batch as batch_module
from corridors.scenarios.batch import BatchEvaluator
from corridors.scenarios.recost import rules_delta
from corridors.scenarios.sweep import (
    BATCH_MIN_RUNS,
    _Job,
    _run,
    derived_scenario,
    parse_parameter,
    sweep,
)
from geodata.errors import InvalidInputError

#: A date when every Pakistan–Afghanistan post was open in the shipped rules.
OPEN_DAY = dt.date(2025, 6, 1)
OBJECTIVE = "generalized"
#: Two pairs: the first crosses at Torkham at low Torkham hours and leaves it at high ones.
PAIRS = (("Tashkent", "Karachi"), ("Dushanbe", "Gwadar"))
#: The Torkham box of the one-parameter evaluator (mean crossing hours).
HOURS_BOX = (0.0, 300.0)
#: How far outside its box (relative to the box's span) ``BatchEvaluator.rows`` still
#: counts a value as inside (rounding of the grid's values).
BOX_TOL = 1e-9
#: Row figures compared with a direct run (both round the same totals the same way).
FIGURES = ("cost_usd", "hours", "generalized_cost_usd", "distance_km")

Call = tuple[tuple[float, ...], tuple[tuple[str, str], ...]]


class Direct:
    """The ``direct`` callback: records each call and routes the plain way (``_run``)."""

    def __init__(self, params: Sequence[Any]) -> None:
        self.base = load_scenario("baseline")
        self.params = tuple(params)
        self.calls: list[Call] = []

    def run(self, values: Sequence[float], pairs: Sequence[tuple[str, str]]) -> Any:
        """A direct run (not recorded): what a fallback row must equal."""
        job = _Job(self.base, self.params, tuple(values), tuple(pairs), OPEN_DAY, OBJECTIVE, None)
        return _run(job)

    def __call__(self, values: tuple[float, ...], pairs: tuple[tuple[str, str], ...]) -> Any:
        self.calls.append((values, pairs))
        return self.run(values, pairs)


def _evaluator(
    params: Sequence[str], low: Sequence[float], high: Sequence[float], pairs: Sequence[Any]
) -> tuple[BatchEvaluator, Direct]:
    parsed = [parse_parameter(p) for p in params]
    direct = Direct(parsed)
    ev = BatchEvaluator(
        direct.base, parsed, low, high, pairs,
        departure=OPEN_DAY, objective=OBJECTIVE, carrier=None, direct=direct, workers=2,
    )  # fmt: skip
    return ev, direct


@pytest.fixture(scope="module")
def hours() -> tuple[BatchEvaluator, Direct]:
    """Torkham's crossing hours over ``HOURS_BOX``, two pairs."""
    return _evaluator(["post:torkham.hours"], [HOURS_BOX[0]], [HOURS_BOX[1]], PAIRS)


@pytest.fixture
def ev(hours: tuple[BatchEvaluator, Direct]) -> Iterator[tuple[BatchEvaluator, Direct]]:
    """The module's evaluator with an empty call record."""
    hours[1].calls.clear()
    yield hours
    hours[1].calls.clear()


def assert_rows_equal_direct(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert (g["origin"], g["destination"], g["values"]) == (
            w["origin"],
            w["destination"],
            w["values"],
        )
        assert g["choice"] == w["choice"], (g, w)
        assert g["border_posts"] == w["border_posts"] and g["port"] == w["port"]
        for key in FIGURES:
            assert g[key] == pytest.approx(w[key], abs=1e-6), (key, g, w)


def _breakpoints(ev: BatchEvaluator, k: int) -> list[float]:
    """The values (one free parameter) where pair ``k``'s two cheapest candidates weigh the
    same: the switches of its certified lower envelope inside the box."""
    cands = ev.candidates[k]
    out = []
    for i, ci in enumerate(cands):
        for cj in cands[i + 1 :]:
            slope = float(ci.b[0] - cj.b[0])
            if slope == 0.0:
                continue
            theta = float(ev.low[0]) + (cj.a - ci.a) / slope
            if not ev.low[0] < theta < ev.high[0]:
                continue
            at = sorted(c.a + float(c.b[0]) * (theta - ev.low[0]) for c in cands)
            here = ci.a + float(ci.b[0]) * (theta - ev.low[0])
            if here <= at[0] + batch_module._REL_TOL * abs(here):  # both are cheapest there
                out.append(theta)
    return sorted(out)


# ----------------------------------------------------------------------------- outside the box
def test_values_outside_the_box_are_routed_directly_for_exactly_the_pairs_asked(
    ev: tuple[BatchEvaluator, Direct],
) -> None:
    evaluator, direct = ev
    assert not evaluator.no_route and not evaluator.uncertified
    high, span = HOURS_BOX[1], HOURS_BOX[1] - HOURS_BOX[0]
    # just outside, within the box's rounding tolerance: certified, no direct run
    inside = (high + 0.3 * BOX_TOL * span,)
    got = evaluator.rows(inside)
    assert direct.calls == []
    assert_rows_equal_direct(got, direct.run(inside, PAIRS))
    # beyond it: the certificate says nothing there, every asked pair goes direct at once
    beyond = (high + 50.0,)
    got = evaluator.rows(beyond)
    assert direct.calls == [(beyond, PAIRS)]
    assert_rows_equal_direct(got, direct.run(beyond, PAIRS))
    direct.calls.clear()
    assert evaluator.rows(beyond, only=[1]) == [got[1]]
    assert direct.calls == [(beyond, (PAIRS[1],))]
    # a value no scenario may have gets the direct run's one-line error
    with pytest.raises(InvalidInputError, match="greater than or equal to 0") as err:
        evaluator.rows((-1.0,))
    assert "\n" not in str(err.value)


def test_the_set_of_changed_rules_is_the_same_at_every_value() -> None:
    """Why the "rules delta outside the certified set" fallback (and the not-batchable one
    inside ``rows``) cannot be reached by a sweep: every override a sweep writes records its
    provenance beside the value, so the changed rules are the same at every value, the
    base's own value included; the evaluator's set, taken at the box's anchors, covers them."""
    base = load_scenario("baseline")
    base_raw = apply_scenario(base).raw
    torkham = base_raw["border_posts.toml"]["posts"]["torkham"]["directions"]
    pak_rate = base_raw["linehaul.toml"]["road"]["PAK"]["cost_per_truck_km"]["value"]
    cases = {
        "post:torkham[AFG->PAK].hours": (torkham["AFG->PAK"]["hours"]["value"], 7.0, 400.0),
        "post:torkham.cost": (torkham["PAK->AFG"]["cost"]["value"], 0.0, 900.0),
        "tariff:road": (1.0, 0.5, 2.0),
        "set:linehaul.toml:road.PAK.cost_per_truck_km.value": (pak_rate, 0.0, 3.0),
    }
    for text, values in cases.items():
        p = parse_parameter(text)
        deltas = {
            rules_delta(base_raw, apply_scenario(derived_scenario(base, (p,), (v,))).raw)
            for v in values
        }
        assert len(deltas) == 1, (text, deltas)
        (delta,) = deltas
        assert delta is not None and not delta.empty, text


# ----------------------------------------------------------------------------- near-ties
def test_a_near_tie_is_routed_directly_for_that_pair_only(
    ev: tuple[BatchEvaluator, Direct],
) -> None:
    evaluator, direct = ev
    switches = _breakpoints(evaluator, 0)
    assert switches, "Tashkent–Karachi switches off Torkham inside the box"
    at = switches[0]
    got = evaluator.rows((at,))
    # only the tied pair went direct; the other was totalled from its certified route
    assert direct.calls == [((at,), (PAIRS[0],))]
    want = direct.run((at,), PAIRS)
    assert_rows_equal_direct(got, want)
    # either side of the tie, the certificate decides alone, and each side's route is a
    # direct run's; at the tie the direct run picked one of the two, at the same weight
    direct.calls.clear()
    step = 1e-3 * (HOURS_BOX[1] - HOURS_BOX[0])
    sides = [evaluator.rows((at - step,)), evaluator.rows((at + step,))]
    assert direct.calls == []
    for side, values in zip(sides, ((at - step,), (at + step,)), strict=True):
        assert_rows_equal_direct(side, direct.run(values, PAIRS))
    below, above = sides[0][0]["choice"], sides[1][0]["choice"]
    assert below != above
    assert got[0]["choice"] in (below, above)
    assert evaluator.certified_weight((at,), 0) == pytest.approx(
        evaluator.searched_weight((at,), 0), rel=1e-9, abs=1e-6
    )


# ----------------------------------------------------------------------------- not affine
@pytest.fixture(scope="module")
def bilinear() -> tuple[BatchEvaluator, Direct]:
    """Two factors on the same rates (all road rates, and Pakistan's again): Pakistan's rate
    is their product, affine along the box's edges through the low corner, not inside."""
    return _evaluator(["tariff:road", "tariff:road.PAK"], [1.0, 1.0], [1.4, 1.4], PAIRS)


def test_values_where_the_rules_are_not_affine_are_routed_directly(
    bilinear: tuple[BatchEvaluator, Direct],
) -> None:
    evaluator, direct = bilinear
    direct.calls.clear()
    assert not evaluator.uncertified and not evaluator.no_route
    # on an edge through the low corner the product is affine: certified, equal to direct
    for values in ((1.2, 1.0), (1.0, 1.3)):
        got = evaluator.rows(values)
        assert direct.calls == []
        assert_rows_equal_direct(got, direct.run(values, PAIRS))
    # inside, the note changes differ from the affine model's: every pair goes direct
    for values in ((1.2, 1.2), (1.4, 1.4)):
        got = evaluator.rows(values)
        assert direct.calls == [(values, PAIRS)]
        direct.calls.clear()
        assert_rows_equal_direct(got, direct.run(values, PAIRS))
    # and that fallback matters: the affine model's best weight there is not the real one
    far = (1.4, 1.4)
    assert evaluator.searched_weight(far, 0) > evaluator.certified_weight(far, 0) * (1 + 1e-6)
    assert evaluator.searched_weight((1.2, 1.0), 0) == pytest.approx(
        evaluator.certified_weight((1.2, 1.0), 0), rel=1e-9, abs=1e-6
    )


# ----------------------------------------------------------------------------- not certified
@pytest.mark.parametrize(
    ("limit", "value"),
    [("MAX_CANDIDATES", 1), ("MAX_ROUNDS", 1)],
)
def test_a_pair_that_is_not_certified_is_routed_directly_every_time(
    monkeypatch: pytest.MonkeyPatch, limit: str, value: int
) -> None:
    """No small box of the embedded network needs more than ``MAX_CANDIDATES`` (14)
    candidates or ``MAX_ROUNDS`` (12) rounds (the widest boxes tried, factors 0–200 on two
    countries' road rates or Torkham at 0–3000 h with road rates ×0–10, stop at 14
    candidates), so the limits are lowered for the certification; the pair that needs more
    than the limit (Tashkent–Karachi: two routes over the box) is then never trusted to
    the certificate, and the other (Karachi–Gwadar, one route whatever Torkham's hours) still
    is."""
    pairs = (PAIRS[0], ("Karachi", "Gwadar"))
    monkeypatch.setattr(batch_module, limit, value)
    ev, direct = _evaluator(["post:torkham.hours"], [HOURS_BOX[0]], [HOURS_BOX[1]], pairs)
    monkeypatch.undo()
    assert ev.uncertified == {0}
    assert len(ev.candidates[0]) >= 2 and len(ev.candidates[1]) == 1
    for values in ((0.0,), (120.0,), (300.0,)):
        got = ev.rows(values)
        assert direct.calls == [(values, (pairs[0],))]
        direct.calls.clear()
        assert_rows_equal_direct(got, direct.run(values, pairs))


# ----------------------------------------------------------------------------- no route
@pytest.fixture(scope="module")
def same_place() -> tuple[BatchEvaluator, Direct]:
    """A pair whose origin is its destination has no end state (``no_route``)."""
    return _evaluator(
        ["post:torkham.hours"],
        [HOURS_BOX[0]],
        [HOURS_BOX[1]],
        (("Tashkent", "Karachi"), ("Tashkent", "Toshkent")),
    )


def test_a_pair_without_an_end_is_routed_directly_and_fails_as_a_direct_run_does(
    same_place: tuple[BatchEvaluator, Direct],
) -> None:
    """The only pairs of the embedded network with no start or no end state are those whose
    origin is their destination (every place has states of a mode; a ``port:XXX`` whose
    only port is the origin is the same place): the direct run refuses them with one line,
    and so does the batch row, after routing the other pairs from the certificate."""
    ev, direct = same_place
    direct.calls.clear()
    assert ev.no_route == {1} and not ev.candidates[1]
    with pytest.raises(InvalidInputError, match="origin and destination are the same place"):
        direct.run((50.0,), ev.pairs[1:])
    with pytest.raises(InvalidInputError, match="origin and destination are the same place"):
        ev.rows((50.0,))
    assert direct.calls == [((50.0,), (ev.pairs[1],))]
    direct.calls.clear()
    got = ev.rows((50.0,), only=[0])
    assert direct.calls == []
    assert_rows_equal_direct(got, direct.run((50.0,), ev.pairs[:1]))


# ----------------------------------------------------------------------------- forked path
def _grid(evaluator: BatchEvaluator) -> list[tuple[float, ...]]:
    """Values for the forked path: inside the box, a tie (direct for one pair), outside
    (direct for both)."""
    tie = _breakpoints(evaluator, 0)[0]
    inside = [float(v) for v in np.linspace(HOURS_BOX[0], HOURS_BOX[1], 7)]
    return [(v,) for v in [*inside[:3], tie, *inside[3:], HOURS_BOX[1] + 50.0]]


def test_forked_rows_equal_in_process_rows_in_the_same_order(
    ev: tuple[BatchEvaluator, Direct],
) -> None:
    evaluator, direct = ev
    values = _grid(evaluator)
    seen: list[tuple[int, int]] = []
    here = evaluator.rows_many(values, workers=1)
    assert len(direct.calls) == 2  # the tie and the value outside, in this process
    direct.calls.clear()
    forked = evaluator.rows_many(values, workers=2, progress=lambda i, n: seen.append((i, n)))
    assert direct.calls == []  # the fallbacks ran in the workers
    assert forked == here
    assert [r[0]["values"] for r in forked] == [list(v) for v in values]
    assert seen[-1] == (len(values), len(values)) and len(seen) >= 2
    assert [i for i, _ in seen] == sorted(i for i, _ in seen)
    assert batch_module._ENGINE is None and not batch_module._FORK_LOCK.locked()


def test_two_evaluators_forking_at_once_each_get_their_own_rows(
    ev: tuple[BatchEvaluator, Direct], bilinear: tuple[BatchEvaluator, Direct]
) -> None:
    """The forked workers inherit the evaluator handed over under the lock: two threads
    forking pools at the same time never compute with each other's evaluator."""
    one, two = ev[0], bilinear[0]
    jobs = {
        "one": (one, _grid(one)[:6]),
        "two": (two, [(f, g) for f in (1.0, 1.1, 1.2) for g in (1.0, 1.05)]),
    }
    want = {key: e.rows_many(v, workers=1) for key, (e, v) in jobs.items()}
    got: dict[str, Any] = {}

    def work(key: str) -> None:
        e, v = jobs[key]
        try:
            got[key] = e.rows_many(v, workers=2)
        except BaseException as exc:  # reported below, in the test's thread
            got[key] = exc

    threads = [threading.Thread(target=work, args=(key,)) for key in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert got == want


def test_a_failure_in_a_worker_is_raised_in_the_parent(
    same_place: tuple[BatchEvaluator, Direct],
) -> None:
    """An error raised in a forked worker (here the direct run's refusal of a same-place
    pair) comes back to the parent as itself, one line, and the hand-over is cleaned up."""
    evaluator, _ = same_place
    values = [(float(v),) for v in np.linspace(HOURS_BOX[0], HOURS_BOX[1], 6)]
    with pytest.raises(InvalidInputError, match="origin and destination are the same place") as e:
        evaluator.rows_many(values, workers=2)
    assert "\n" not in str(e.value)
    assert batch_module._ENGINE is None and not batch_module._FORK_LOCK.locked()


def test_a_worker_that_dies_is_reported_and_the_evaluator_still_works(
    ev: tuple[BatchEvaluator, Direct], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker killed mid-task (as by the out-of-memory killer) breaks the pool: the parent
    gets ``BrokenProcessPool`` (the CLI prints it on one line as an internal error), the
    hand-over is released, and the next call forks fresh workers."""
    evaluator, direct = ev
    parent = os.getpid()

    def dies_in_a_worker(values: tuple[float, ...], pairs: tuple[tuple[str, str], ...]) -> Any:
        if os.getpid() != parent:
            os._exit(9)
        return direct(values, pairs)

    values = _grid(evaluator)
    monkeypatch.setattr(evaluator, "direct", dies_in_a_worker)
    with pytest.raises(BrokenProcessPool):
        evaluator.rows_many(values, workers=2)
    assert batch_module._ENGINE is None and not batch_module._FORK_LOCK.locked()
    monkeypatch.undo()
    inside = [v for v in values if HOURS_BOX[0] <= v[0] <= HOURS_BOX[1]][:4]
    assert evaluator.rows_many(inside, workers=2) == [evaluator.rows(v) for v in inside]


def test_a_bad_value_tuple_fails_in_its_worker_with_the_evaluators_message(
    ev: tuple[BatchEvaluator, Direct],
) -> None:
    evaluator, _ = ev
    values: list[tuple[float, ...]] = [(0.0,), (100.0,), (200.0,), (300.0,), (1.0, 2.0)]
    with pytest.raises(InvalidInputError, match=r"give 1 value\(s\), one per swept parameter"):
        evaluator.rows_many(values, workers=2)
    assert batch_module._ENGINE is None and not batch_module._FORK_LOCK.locked()


# ----------------------------------------------------------------------------- sweep's choice
def _cli_sweep(values: int, *extra: str) -> dict[str, Any]:
    got = CliRunner().invoke(
        cli,
        [
            "sweep", "--param", f"post:torkham.hours=0:300:{values}", "--from", "Peshawar",
            "--to", "Kabul", "--date", OPEN_DAY.isoformat(), "--workers", "2", "--bisect", "0",
            "--json", *extra,
        ],
    )  # fmt: skip
    assert got.exit_code == 0, got.output
    return json.loads(got.output)


def test_sweep_picks_the_batch_method_from_the_grid_size_and_the_flag() -> None:
    """At ``BATCH_MIN_RUNS`` values the default is the batch evaluator, ``--no-batch`` runs
    value by value, and the two give the same rows (Peshawar–Kabul leaves Torkham for
    Kharlachi inside the range); one value fewer runs value by value by default, and so
    does a parameter the evaluator cannot batch even when asked to."""
    batch = _cli_sweep(BATCH_MIN_RUNS)
    plain = _cli_sweep(BATCH_MIN_RUNS, "--no-batch")
    assert batch["settings"]["method"] == "batch"
    assert plain["settings"]["method"] == "value by value"
    assert batch["settings"]["runs"] == plain["settings"]["runs"] == BATCH_MIN_RUNS
    assert len({r["choice"] for r in batch["rows"]}) >= 2
    assert_rows_equal_direct(batch["rows"], plain["rows"])
    assert batch["switches"] == plain["switches"]
    fewer = sweep(
        [("post:torkham.hours", f"0:300:{BATCH_MIN_RUNS - 1}")],
        [("Peshawar", "Kabul")],
        departure=OPEN_DAY,
        workers=2,
        refine=False,
    )
    assert fewer.settings["method"] == "value by value"
    # asked for, but a rail rate is not re-costed in place: value by value all the same
    rail = sweep(
        [("tariff:rail.PAK", "1,1.5")],
        [("Peshawar", "Kabul")],
        departure=OPEN_DAY,
        workers=2,
        refine=False,
        batch=True,
    )
    assert rail.settings["method"] == "value by value" and len(rail.rows) == 2
