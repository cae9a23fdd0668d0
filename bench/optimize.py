"""Optimisation benchmarks (issue 5): assignment, branch formation, pairing on synthetic
city-like points (``bench/points.py``), each against its baseline in the same run.

* assignment: ``jiceng.optimize.assign`` (exact, or with a proven 1% gap at 2 million) vs the
  greedy nearest-branch-with-room hand method;
* formation: ``form_branches`` vs ``KMeansConstrained`` (k-means-constrained, n_init=10) with
  the same number of branches and size bounds, mean home-to-branch distance and time, on
  several seeds; the baseline gets 3-d coordinates in metres (``kmc_input``, which checks
  that its cost rounding is harmless);
* pairing: ``pair`` 87,000 people / 15,000 branches, 6 each.

The assignment runs in a fresh child process (``--assign-child``), so its peak resident
memory (``VmHWM``, what ``/usr/bin/time -v`` reports as maximum resident set size) is the
assignment's own.

Writes ``bench/results/optimize.json`` and the "Optimisation" section of BENCHMARKS.md.
``python bench/optimize.py --only assign-100k`` runs one case (results merged, each case keeps
when it ran); ``--render`` rewrites the section from the JSON without running anything.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import fcntl
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from points import city_points  # noqa: E402
from report import write_section  # noqa: E402

from jiceng.optimize import (  # noqa: E402
    DEFAULT_TARGET_SIZE,
    assign,
    branch_count,
    form_branches,
    greedy_assign,
    pair,
)
from jiceng.optimize._geo import EARTH_RADIUS_M, chord_to_metres, unit_vectors  # noqa: E402

RESULTS = HERE / "results" / "optimize.json"


def _capacity(n: int, m: int, factor: float) -> np.ndarray:
    return np.full(m, int(np.ceil(n * factor / m)), dtype=np.int64)


def bench_assign(n: int, m: int, factor: float, gap: float, seed: int) -> dict[str, Any]:
    """``assign`` in a fresh child process (its time, cost, bound and peak memory), then the
    greedy baseline here on the same instance."""
    child = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--assign-child",
         json.dumps([n, m, factor, gap, seed])],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    out: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    members, _d = city_points(n, seed)
    branches, _b = city_points(m, seed + 1)
    cap = _capacity(n, m, factor)
    t = time.perf_counter()
    hand = greedy_assign(members, branches, cap)
    greedy = time.perf_counter() - t
    out.update(
        greedy_seconds=round(greedy, 2),
        greedy_cost_km=round(hand.cost / 1000, 1),
        greedy_over_optimum=round(hand.cost / max(out.pop("cost"), 1), 4),
    )
    return out


def _assign_child(n: int, m: int, factor: float, gap: float, seed: int) -> None:
    """The child of ``bench_assign``: prints one JSON line."""
    _warm_up()
    members, _d = city_points(n, seed)
    branches, _b = city_points(m, seed + 1)
    cap = _capacity(n, m, factor)
    t = time.perf_counter()
    best = assign(members, branches, cap, gap=gap)
    ours = time.perf_counter() - t
    # The peak resident memory of this process since its exec (VmHWM): ``ru_maxrss`` would
    # also count what the parent held when it forked this child.
    status = Path("/proc/self/status").read_text()
    peak = int(next(x for x in status.splitlines() if x.startswith("VmHWM:")).split()[1])  # KiB
    print(
        json.dumps(
            {
                "members": n,
                "branches": m,
                "capacity_factor": factor,
                "gap_asked": gap,
                "seconds": round(ours, 2),
                "peak_rss_gb": round(peak * 1024 / 1e9, 2),
                "cost": best.cost,
                "cost_km": round(best.cost / 1000, 1),
                "lower_bound_km": round(best.lower_bound / 1000, 1),
                "proven_gap": round(best.gap, 5),
                "optimal": best.optimal,
                "mean_m": round(best.mean_distance, 1),
                "rounds": best.rounds,
                "arcs": best.arcs,
            }
        )
    )


def _mean_distance(points: np.ndarray, labels: np.ndarray) -> float:
    """Mean great-circle distance from each point to the geometric median of its group
    (the best centre a group can have), so both methods are judged alike."""
    return float(_centre_distances(points, labels).mean())


def _centre_distances(points: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Great-circle distance from each point to the geometric median of its group."""
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
    return chord_to_metres(np.linalg.norm(xyz - centre[labels], axis=1))


def bench_form(n: int, seeds: tuple[int, ...], kmc: int, **options: Any) -> dict[str, Any]:
    """``form_branches`` and, beside it on the same points, k and seed, the baseline (on the
    first ``kmc`` seeds), per seed; the summary is the worst seed's distance ratio and time
    ratio. Times are wall and CPU seconds; the time ratio is of CPU seconds, which other work
    on the machine hardly changes (the baseline of 10,000 members runs for many minutes, and with
    ``--reuse-baseline`` comes from an earlier run)."""
    runs = []
    for done, seed in enumerate(seeds):
        homes, _d = city_points(n, seed)
        t, c = time.perf_counter(), time.process_time()
        f = form_branches(homes, 3, 50, seed=seed, **options)
        ours, ours_cpu = time.perf_counter() - t, time.process_time() - c
        run: dict[str, Any] = {
            "seed": seed,
            "branches": len(f.branches),
            "seconds": round(ours, 2),
            "cpu_seconds": round(ours_cpu, 2),
            "mean_m": round(_mean_distance(homes, f.label), 1),
            "max_m": round(_max_distance(homes, f.label), 1),
            "sizes": [int(f.sizes.min()), int(f.sizes.max())],
        }
        if done < kmc:
            base = baseline(homes, seed, len(f.branches))
            run.update(base)
            if "kmc_mean_m" in base:
                run.update(
                    time_ratio=round(ours_cpu / base["kmc_cpu_seconds"], 4),
                    distance_ratio=round(run["mean_m"] / base["kmc_mean_m"], 4),
                )
        print(json.dumps(run), flush=True)
        runs.append(run)
    out: dict[str, Any] = {"members": n, "options": options, "runs": runs}
    compared = [r for r in runs if "distance_ratio" in r]
    if compared:
        out["worst_distance_ratio"] = max(r["distance_ratio"] for r in compared)
        out["worst_time_ratio"] = max(r["time_ratio"] for r in compared)
    return out


REUSE_BASELINE = False  # --reuse-baseline


def baseline(homes: np.ndarray, seed: int, k: int) -> dict[str, Any]:
    """The baseline's figures on one instance, run now (and kept in the results file under
    ``baseline``), or with ``--reuse-baseline`` the kept ones when there are any."""
    key = f"{len(homes)}/{seed}/{k}"
    if REUSE_BASELINE:
        kept = _results_file().get("baseline", {}).get(key)
        if kept:
            return dict(kept)
    labels, wall, cpu, why = _kmc(homes, k, seed)
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    if labels is None:
        out: dict[str, Any] = {"kmc_seconds": f"> {wall:.0f} ({why})", "kmc_at": at}
    else:
        sizes = np.bincount(labels)
        out = {
            "kmc_seconds": round(wall, 2),
            "kmc_cpu_seconds": round(cpu, 2),
            "kmc_mean_m": round(_mean_distance(homes, labels), 1),
            "kmc_max_m": round(_max_distance(homes, labels), 1),
            "kmc_sizes": [int(sizes.min()), int(sizes.max())],
            "kmc_at": at,
        }
    with _locked_results() as data:
        data.setdefault("baseline", {})[key] = out
    return out


def _results_file() -> dict[str, Any]:
    text = RESULTS.read_text() if RESULTS.exists() else ""
    return json.loads(text) if text.strip() else {}


@contextlib.contextmanager
def _locked_results() -> Iterator[dict[str, Any]]:
    """The results file read, changed by the caller and written back, under a lock on the
    file itself (several runs, e.g. of the baseline, may write at once)."""
    RESULTS.parent.mkdir(exist_ok=True)
    with open(RESULTS, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = _results_file()
        yield data
        lock.seek(0)
        lock.truncate()
        lock.write(json.dumps(data, indent=2) + "\n")
        lock.flush()


def _max_distance(points: np.ndarray, labels: np.ndarray) -> float:
    return float(_centre_distances(points, labels).max())


KMC_TIMEOUT = float(os.environ.get("KMC_TIMEOUT", "3600"))
KMC_VERBOSE = bool(os.environ.get("KMC_VERBOSE"))
# The baseline's child may use this much address space (GiB): KMeansConstrained builds a dense
# graph of every member to every centre, 300 million arcs at 100,000 / 3,000, which would
# take the whole machine.
KMC_MEMORY_GB = float(os.environ.get("KMC_MEMORY_GB", "8"))
# KMeansConstrained rounds its min-cost-flow costs to int32(distance x 1000)
# (k_means_constrained_.py, ``minimum_cost_flow_problem_graph``): the coordinates must be in a
# unit small enough that a thousandth of it is negligible, yet large enough that no cost
# passes 2**31. Unit vectors (the first version of this bench) made every distance under
# about 3.2 km cost zero: the baseline was blind, slow, and its figures wrong.
KMC_COST_SCALE = 1000


def kmc_input(points: np.ndarray, unit_m: float = 1.0) -> np.ndarray:
    """The baseline's input: 3-d Earth-centred coordinates in units of ``unit_m`` metres
    (metres by default), where its Euclidean distances are chords, within a millionth of the
    great-circle distance at city scale; checked by ``check_kmc_input``."""
    x = unit_vectors(points) * (EARTH_RADIUS_M / unit_m)
    check_kmc_input(x)
    return x


def check_kmc_input(x: np.ndarray) -> None:
    """Refuse coordinates whose rounding step (1 / ``KMC_COST_SCALE`` of a unit) is not under
    1% of the median nearest-neighbour distance, or whose costs could pass int32."""
    from scipy.spatial import cKDTree

    if len(x) < 2:
        return
    d, _j = cKDTree(x).query(x, k=2)
    spacing = float(np.median(d[:, 1]))
    step = 1.0 / KMC_COST_SCALE
    if spacing > 0 and step > 0.01 * spacing:
        raise ValueError(
            f"KMeansConstrained input: its cost step {step:g} is not under 1% of the median "
            f"nearest-neighbour distance {spacing:g}; give coordinates in a smaller unit"
        )
    extent = float(np.linalg.norm(x.max(axis=0) - x.min(axis=0)))
    if extent * KMC_COST_SCALE >= 2**31:
        raise ValueError(f"KMeansConstrained input: extent {extent:g} overflows int32 costs")


def kmc_labels(x: np.ndarray, k: int, seed: int, n_init: int = 10) -> np.ndarray:
    """KMeansConstrained (sizes 3-50) on checked coordinates ``x``: the label per point."""
    from k_means_constrained import KMeansConstrained

    check_kmc_input(x)
    km = KMeansConstrained(
        n_clusters=k,
        size_min=3,
        size_max=50,
        n_init=n_init,
        random_state=seed,
        verbose=KMC_VERBOSE,
    )
    km.fit(x)
    return np.asarray(km.labels_, dtype=np.int64)


def _kmc_child(homes: np.ndarray, k: int, seed: int, conn: Any) -> None:
    limit = int(KMC_MEMORY_GB * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    t, c = time.perf_counter(), time.process_time()
    try:
        labels = kmc_labels(kmc_input(homes), k, seed)
    except MemoryError:
        conn.send((None, time.perf_counter() - t, time.process_time() - c))
        return
    conn.send((labels, time.perf_counter() - t, time.process_time() - c))


def _kmc(homes: np.ndarray, k: int, seed: int) -> tuple[np.ndarray | None, float, float, str]:
    """KMeansConstrained (n_init=10) in a child process, stopped after ``KMC_TIMEOUT`` s or
    when it needs more than ``KMC_MEMORY_GB``; returns labels (None when stopped), wall and
    CPU seconds, and why it stopped."""
    import multiprocessing as mp

    parent, child = mp.Pipe(duplex=False)
    proc = mp.get_context("fork").Process(target=_kmc_child, args=(homes, k, seed, child))
    started = time.perf_counter()
    proc.start()
    child.close()
    if parent.poll(KMC_TIMEOUT):
        try:
            labels, seconds, cpu = parent.recv()
        except EOFError:  # the child died (e.g. an allocation failed in OR-Tools)
            labels, seconds, cpu = None, time.perf_counter() - started, 0.0
        proc.join()
        if labels is None:
            return None, seconds, cpu, f"out of memory at {KMC_MEMORY_GB:g} GiB"
        return labels, seconds, cpu, ""
    proc.terminate()
    proc.join()
    return None, time.perf_counter() - started, 0.0, "stopped"


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


# Formation cases: members and seeds (the first seed of each is the one the bench always used).
FORM = {
    "form-1090": (1_090, (17, 1, 2, 3, 4)),
    "form-10k": (10_000, (19, 5, 6, 7, 8)),
    "form-100k": (100_000, (23, 9)),
}

CASES = {
    "assign-100k-1.05": lambda: bench_assign(100_000, 3_000, 1.05, 0.0, 11),
    "assign-100k-1.5": lambda: bench_assign(100_000, 3_000, 1.5, 0.0, 11),
    "assign-2m-1.05": lambda: bench_assign(2_000_000, 50_000, 1.05, 0.01, 13),
    "assign-2m-1.5": lambda: bench_assign(2_000_000, 50_000, 1.5, 0.01, 13),
    "form-1090": lambda: bench_form(*FORM["form-1090"], kmc=5),
    "form-10k": lambda: {
        **bench_form(*FORM["form-10k"], kmc=5),
        "note": "each of its iterations is an exact min-cost flow over all 3 million "
        "member-centre arcs, 2.5 s of CPU here, for ten starts of up to 300 iterations; "
        "`--baseline form-10k` runs it alone (with `KMC_TIMEOUT`) and keeps its figures for "
        "`--reuse-baseline`.",
    },
    # The baseline on the first seed only: it builds a dense graph of every member to every
    # centre (300 million arcs) and fails at ``KMC_MEMORY_GB`` after about a minute.
    "form-100k": lambda: {
        **bench_form(*FORM["form-100k"], kmc=1),
        "note": "its dense graph of every member to every centre (300 million arcs) does not "
        "fit in `KMC_MEMORY_GB`.",
    },
    # The same with a slower setting (four times the improvement moves): how far the default
    # is from what the method finds with more time.
    "form-100k-slow": lambda: bench_form(*FORM["form-100k"], kmc=0, improve=40),
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
        f"{_run_dates(results)}; each case and its baseline in the same run unless said "
        f"otherwise.",
        "",
        "Targets: assignment 100k/3k optimal ≤ 3 s; 2M/50k within 1% (bound shown) ≤ 60 s and "
        "≤ 2 GB peak memory (the assignment's own process, `VmHWM`); "
        "formation mean distance no worse than KMeansConstrained at ≤ 1/5 of its time, 100k "
        "≤ 60 s; pairing 87k/15k ×6 optimal ≤ 10 s.",
        "",
        "| assignment | s | peak memory GB | cost km | lower bound km | gap | optimal "
        "| greedy s | greedy cost |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for key, r in results.items():
        if key.startswith("assign") and "seconds" in r:
            lines.append(
                f"| {r['members']:,} / {r['branches']:,}, capacity {r['capacity_factor']}× "
                f"| {r['seconds']} | {r.get('peak_rss_gb', '—')} | {r['cost_km']:,} "
                f"| {r['lower_bound_km']:,} "
                f"| {r['proven_gap']:.3%} | {'yes' if r['optimal'] else 'no'} "
                f"| {r['greedy_seconds']} | {r['greedy_over_optimum']}× |"
            )
    lines += [
        "",
        "Formation: per seed, `form_branches` (default settings unless shown) and "
        "KMeansConstrained (n_init=10, same k, seed and sizes 3–50) on the same points; "
        "mean and max distance from each home to its group's geometric median, for both "
        "alike. The baseline gets 3-d coordinates in metres, checked by the harness "
        "(`kmc_input`: its int32(distance × 1000) cost rounding must stay under 1% of the "
        "median nearest-neighbour distance). The figures before issue 19 (distance ratio "
        "0.93× at 1,090 and 0.456× at 10,000) were wrong: the baseline was given unit "
        "vectors, on which every distance under about 3.2 km rounds to a cost of zero.",
        "",
        "Seconds are wall (CPU in brackets); the time ratio is of CPU seconds, which other "
        "work on the shared machine hardly changes.",
        "",
        "| members | seed | branches | s | mean m | max m | sizes | KMC s | KMC mean m "
        "| KMC max m | KMC sizes | time ratio | distance ratio |",
        "|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---:|---:|",
    ]
    earlier: dict[str, set[str]] = {}
    for key, r in results.items():
        if not key.startswith("form") or "runs" not in r:
            continue
        setting = ", ".join(f"{k}={v}" for k, v in r.get("options", {}).items())
        for run in r["runs"]:
            if run.get("kmc_at", r["at"]) < r["at"]:
                earlier.setdefault(f"{r['members']:,}", set()).add(run["kmc_at"][:16])
            lines.append(
                f"| {r['members']:,}{f' ({setting})' if setting else ''} | {run['seed']} "
                f"| {run['branches']:,} | {run['seconds']} ({run.get('cpu_seconds', '—')}) "
                f"| {run['mean_m']:,} | {run['max_m']:,} | {_sizes(run.get('sizes'))} "
                f"| {run.get('kmc_seconds', '—')}"
                f"{f' ({c})' if (c := run.get('kmc_cpu_seconds')) else ''} "
                f"| {_num(run.get('kmc_mean_m'))} | {_num(run.get('kmc_max_m'))} "
                f"| {_sizes(run.get('kmc_sizes'))} "
                f"| {run.get('time_ratio', '—')} | {run.get('distance_ratio', '—')} |"
            )
    lines += _form_summary(results)
    lines += [
        f"\nKMeansConstrained on {members} members ran earlier ({', '.join(sorted(at))}; "
        "`--baseline`, then `--reuse-baseline`)."
        for members, at in earlier.items()
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


def _form_summary(results: dict[str, Any]) -> list[str]:
    """Per formation case, how it compares with the baseline on every seed, and the default
    at 100,000 members against the slower setting."""
    out = []
    for key, r in results.items():
        runs = [x for x in r.get("runs", []) if "distance_ratio" in x] if key[:4] == "form" else []
        stopped = [x for x in r.get("runs", []) if isinstance(x.get("kmc_seconds"), str)]
        if key[:4] == "form" and stopped:
            out.append(
                f"\n{r['members']:,} members: KMeansConstrained gave no answer on seed(s) "
                + ", ".join(f"{x['seed']} ({x['kmc_seconds']})" for x in stopped)
                + (f"; {r['note']}" if r.get("note") else ".")
            )
        if runs:
            shorter = [1 - x["distance_ratio"] for x in runs]
            ratio = [x["time_ratio"] for x in runs]
            out.append(
                f"\n{r['members']:,} members, {len(runs)} seeds against the baseline: mean "
                f"distance {min(shorter):.1%} to {max(shorter):.1%} shorter, in "
                f"{min(ratio):.2g}–{max(ratio):.2g} of its CPU time."
            )
    fast, slow = results.get("form-100k", {}), results.get("form-100k-slow", {})
    pairs = [
        (a, b)
        for a in fast.get("runs", [])
        for b in slow.get("runs", [])
        if a["seed"] == b["seed"] and a["branches"] == b["branches"]
    ]
    if pairs:
        setting = ", ".join(f"{k}={v}" for k, v in slow.get("options", {}).items())
        out.append(
            f"\n100,000 members, default against the slower setting ({setting}): "
            + "; ".join(
                f"seed {a['seed']} {a['mean_m']:,} m in {a['seconds']} s against "
                f"{b['mean_m']:,} m in {b['seconds']} s ({a['mean_m'] / b['mean_m'] - 1:+.2%})"
                for a, b in pairs
            )
            + "."
        )
    return out


def _num(x: Any) -> str:
    return f"{x:,}" if isinstance(x, int | float) else "—"


def _sizes(x: Any) -> str:
    return f"{x[0]}–{x[1]}" if x else "—"


def _warm_up() -> float:
    """Load (on a fresh clone: compile) the numba kernels once, so no case times compilation."""
    t = time.perf_counter()
    homes, _d = city_points(200, 1)
    assign(homes, homes[:10], np.full(10, 30))
    pair(homes, homes[:40], 6)
    form_branches(homes, 3, 50, improve=1)
    return time.perf_counter() - t


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--assign-child":
        n, m, factor, gap, seed = json.loads(sys.argv[2])
        _assign_child(n, m, factor, gap, seed)
        return 0
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", action="append", choices=sorted(CASES))
    parser.add_argument(
        "--render", action="store_true", help="rewrite the BENCHMARKS.md section from the JSON"
    )
    parser.add_argument(
        "--reuse-baseline",
        action="store_true",
        help="formation: take KMeansConstrained's figures from an earlier run where kept",
    )
    parser.add_argument(
        "--baseline",
        choices=sorted(FORM),
        help="run only KMeansConstrained on this formation case's instances (and keep them)",
    )
    parser.add_argument("--seeds", help="with --baseline: these seeds only (comma-separated)")
    args = parser.parse_args()
    if args.baseline:
        n, seeds = FORM[args.baseline]
        for seed in [int(x) for x in args.seeds.split(",")] if args.seeds else seeds:
            homes, _d = city_points(n, seed)
            k = branch_count(n, 3, 50, DEFAULT_TARGET_SIZE)
            print(json.dumps({"members": n, "seed": seed, **baseline(homes, seed, k)}), flush=True)
        return 0
    global REUSE_BASELINE
    REUSE_BASELINE = args.reuse_baseline
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
        # Written after every case, so a long run keeps what it has measured (merged with
        # what other runs, e.g. ``--only`` ones at the same time, wrote meanwhile).
        with _locked_results() as data:
            data["meta"] = meta
            data.setdefault("cases", {})[key] = results[key]
            results = {**data["cases"]} if args.only else results
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
