"""Optimisation benchmarks (issue 5): assignment, branch formation, pairing on synthetic
city-like points (``bench/points.py``), each against its baseline in the same run.

* assignment: ``jiceng.optimize.assign`` (exact, or with a proven 1% gap at 2 million) vs the
  greedy nearest-branch-with-room hand method;
* formation: ``form_branches`` vs ``KMeansConstrained`` (k-means-constrained, n_init=10) with
  the same number of branches and size bounds, mean home-to-branch distance and time;
* pairing: ``pair`` 87,000 people / 15,000 branches, 6 each.

Writes ``bench/results/optimize.json`` and the "Optimisation" section of BENCHMARKS.md.
``python bench/optimize.py --only assign-100k`` runs one case (results merged, each case keeps
when it ran); ``--render`` rewrites the section from the JSON without running anything.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from points import city_points  # noqa: E402
from report import write_section  # noqa: E402

from jiceng.optimize import assign, form_branches, greedy_assign, pair  # noqa: E402
from jiceng.optimize._geo import chord_to_metres, unit_vectors  # noqa: E402

RESULTS = HERE / "results" / "optimize.json"


def _capacity(n: int, m: int, factor: float) -> np.ndarray:
    return np.full(m, int(np.ceil(n * factor / m)), dtype=np.int64)


def bench_assign(n: int, m: int, factor: float, gap: float, seed: int) -> dict[str, Any]:
    members, _d = city_points(n, seed)
    branches, _b = city_points(m, seed + 1)
    cap = _capacity(n, m, factor)
    t = time.perf_counter()
    best = assign(members, branches, cap, gap=gap)
    ours = time.perf_counter() - t
    t = time.perf_counter()
    hand = greedy_assign(members, branches, cap)
    greedy = time.perf_counter() - t
    return {
        "members": n,
        "branches": m,
        "capacity_factor": factor,
        "gap_asked": gap,
        "seconds": round(ours, 2),
        "cost_km": round(best.cost / 1000, 1),
        "lower_bound_km": round(best.lower_bound / 1000, 1),
        "proven_gap": round(best.gap, 5),
        "optimal": best.optimal,
        "mean_m": round(best.mean_distance, 1),
        "rounds": best.rounds,
        "arcs": best.arcs,
        "greedy_seconds": round(greedy, 2),
        "greedy_cost_km": round(hand.cost / 1000, 1),
        "greedy_over_optimum": round(hand.cost / max(best.cost, 1), 4),
    }


def _mean_distance(points: np.ndarray, labels: np.ndarray) -> float:
    """Mean great-circle distance from each point to the geometric median of its group
    (the best centre a group can have), so both methods are judged alike."""
    xyz = unit_vectors(points)
    k = int(labels.max()) + 1
    centre = np.zeros((k, 3))
    np.add.at(centre, labels, xyz)
    centre /= np.linalg.norm(centre, axis=1, keepdims=True)
    for _ in range(20):  # Weiszfeld
        d = np.maximum(np.linalg.norm(xyz - centre[labels], axis=1), 1e-12)
        num = np.zeros((k, 3))
        np.add.at(num, labels, xyz / d[:, None])
        den = np.bincount(labels, weights=1 / d, minlength=k)
        centre = num / den[:, None]
        centre /= np.linalg.norm(centre, axis=1, keepdims=True)
    return float(chord_to_metres(np.linalg.norm(xyz - centre[labels], axis=1)).mean())


def bench_form(n: int, seed: int, kmc: bool) -> dict[str, Any]:
    homes, _d = city_points(n, seed)
    t = time.perf_counter()
    f = form_branches(homes, 3, 50, seed=seed)
    ours = time.perf_counter() - t
    out: dict[str, Any] = {
        "members": n,
        "branches": len(f.branches),
        "seconds": round(ours, 2),
        "mean_m": round(_mean_distance(homes, f.label), 1),
        "max_m": round(f.max_distance, 1),
        "sizes": [int(f.sizes.min()), int(f.sizes.max())],
    }
    if kmc:
        labels, theirs = _kmc(homes, len(f.branches), seed)
        if labels is None:
            out.update(kmc_seconds=f"> {theirs:.0f} (stopped)", time_ratio=f"< {ours / theirs:.4f}")
        else:
            sizes = np.bincount(labels)
            out.update(
                kmc_seconds=round(theirs, 2),
                kmc_mean_m=round(_mean_distance(homes, labels), 1),
                kmc_sizes=[int(sizes.min()), int(sizes.max())],
                time_ratio=round(ours / theirs, 4),
                distance_ratio=round(out["mean_m"] / _mean_distance(homes, labels), 4),
            )
    return out


KMC_TIMEOUT = float(os.environ.get("KMC_TIMEOUT", "3600"))
KMC_VERBOSE = bool(os.environ.get("KMC_VERBOSE"))


def _kmc_child(homes: np.ndarray, k: int, seed: int, conn: Any) -> None:
    from k_means_constrained import KMeansConstrained

    t = time.perf_counter()
    km = KMeansConstrained(
        n_clusters=k,
        size_min=3,
        size_max=50,
        n_init=10,
        random_state=seed,
        verbose=KMC_VERBOSE,
    )
    km.fit(unit_vectors(homes))
    conn.send((np.asarray(km.labels_, dtype=np.int64), time.perf_counter() - t))


def _kmc(homes: np.ndarray, k: int, seed: int) -> tuple[np.ndarray | None, float]:
    """KMeansConstrained (n_init=10) in a child process, stopped after ``KMC_TIMEOUT`` s."""
    import multiprocessing as mp

    parent, child = mp.Pipe(duplex=False)
    proc = mp.get_context("fork").Process(target=_kmc_child, args=(homes, k, seed, child))
    started = time.perf_counter()
    proc.start()
    if parent.poll(KMC_TIMEOUT):
        labels, seconds = parent.recv()
        proc.join()
        return labels, seconds
    proc.terminate()
    proc.join()
    return None, time.perf_counter() - started


def bench_pair(n: int, m: int, per: int, seed: int) -> dict[str, Any]:
    people, _d = city_points(n, seed)
    branches, _b = city_points(m, seed + 1)
    t = time.perf_counter()
    r = pair(people, branches, per)
    ours = time.perf_counter() - t
    return {
        "people": n,
        "branches": m,
        "per_branch": per,
        "seconds": round(ours, 2),
        "paired": r.paired,
        "optimal": r.optimal,
        "mean_m": round(float(np.nanmean(r.distance)), 1),
    }


CASES = {
    "assign-100k-1.05": lambda: bench_assign(100_000, 3_000, 1.05, 0.0, 11),
    "assign-100k-1.5": lambda: bench_assign(100_000, 3_000, 1.5, 0.0, 11),
    "assign-2m-1.05": lambda: bench_assign(2_000_000, 50_000, 1.05, 0.01, 13),
    "assign-2m-1.5": lambda: bench_assign(2_000_000, 50_000, 1.5, 0.01, 13),
    "form-1090": lambda: bench_form(1_090, 17, kmc=True),
    "form-10k": lambda: bench_form(10_000, 19, kmc=True),
    "form-100k": lambda: bench_form(100_000, 23, kmc=False),
    "pair-87k": lambda: bench_pair(87_000, 15_000, 6, 29),
}


def _run_dates(results: dict[str, Any]) -> str:
    """When the cases ran: one date, or each case's where ``--only`` re-ran some later."""
    dates = sorted({r["at"] for r in results.values()})
    if len(dates) == 1:
        return dates[0]
    latest = dates[-1]
    later = [k for k, r in results.items() if r["at"] == latest]
    return f"{dates[0]} ({', '.join(later)}: {latest})"


def _md(results: dict[str, Any], meta: dict[str, Any]) -> list[str]:
    lines = [
        f"NumPy, SciPy, numba-compiled kernels, OR-Tools; {meta['cpu']}, "
        f"Python {meta['python']}; "
        f"synthetic city-like points (`bench/points.py`: 95% around Shanghai's 216 street "
        f"and town centres, central districts three times denser, 5% noise). Run "
        f"{_run_dates(results)}; each case and its baseline in the same process.",
        "",
        "Targets: assignment 100k/3k optimal ≤ 3 s; 2M/50k within 1% (bound shown) ≤ 60 s; "
        "formation mean distance no worse than KMeansConstrained at ≤ 1/5 of its time, 100k "
        "≤ 60 s; pairing 87k/15k ×6 optimal ≤ 10 s.",
        "",
        "| assignment | s | cost km | lower bound km | gap | optimal | greedy s | greedy cost |",
        "|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for key, r in results.items():
        if key.startswith("assign") and "seconds" in r:
            lines.append(
                f"| {r['members']:,} / {r['branches']:,}, capacity {r['capacity_factor']}× "
                f"| {r['seconds']} | {r['cost_km']:,} | {r['lower_bound_km']:,} "
                f"| {r['proven_gap']:.3%} | {'yes' if r['optimal'] else 'no'} "
                f"| {r['greedy_seconds']} | {r['greedy_over_optimum']}× |"
            )
    lines += [
        "",
        "| formation | branches | s | mean m | KMC s | KMC mean m | time ratio | distance ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, r in results.items():
        if key.startswith("form") and "seconds" in r:
            lines.append(
                f"| {r['members']:,} | {r['branches']} | {r['seconds']} | {r['mean_m']:,} "
                f"| {r.get('kmc_seconds', '—')} | {r.get('kmc_mean_m', '—')} "
                f"| {r.get('time_ratio', '—')} | {r.get('distance_ratio', '—')} |"
            )
    lines += [
        f"\n{r['members']:,} members: {r['note']}"
        for key, r in results.items()
        if key.startswith("form") and r.get("note")
    ]
    p = results.get("pair-87k")
    if p and "seconds" in p:
        lines += [
            "",
            f"Pairing {p['people']:,} people / {p['branches']:,} branches × {p['per_branch']}: "
            f"{p['seconds']} s, {p['paired']:,} paired, mean {p['mean_m']} m, "
            f"{'proven optimal' if p['optimal'] else 'not proven optimal'}.",
        ]
    return lines


def _warm_up() -> float:
    """Load (on a fresh clone: compile) the numba kernels once, so no case times compilation."""
    t = time.perf_counter()
    homes, _d = city_points(200, 1)
    assign(homes, homes[:10], np.full(10, 30))
    pair(homes, homes[:40], 6)
    return time.perf_counter() - t


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", action="append", choices=sorted(CASES))
    parser.add_argument(
        "--render", action="store_true", help="rewrite the BENCHMARKS.md section from the JSON"
    )
    args = parser.parse_args()
    results: dict[str, Any] = {}
    if RESULTS.exists() and (args.only or args.render):
        results = json.loads(RESULTS.read_text()).get("cases", {})
    meta = {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpu": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    if not args.render:
        print(
            f"== numba kernels loaded in {_warm_up():.1f} s (not counted in any case)", flush=True
        )
    for key in [] if args.render else args.only or list(CASES):
        print(f"== {key}", flush=True)
        results[key] = {**CASES[key](), "at": meta["at"]}
        print(json.dumps(results[key], ensure_ascii=False), flush=True)
        # Written after every case, so a long run keeps what it has measured.
        RESULTS.write_text(json.dumps({"meta": meta, "cases": results}, indent=2) + "\n")
        _write_md(results, meta)
    if args.render:
        _write_md(results, meta)
    return 0


def _write_md(results: dict[str, Any], meta: dict[str, Any]) -> None:
    write_section(
        "Optimisation (issue 5): assignment, branch formation, pairing", _md(results, meta)
    )


if __name__ == "__main__":
    raise SystemExit(main())
