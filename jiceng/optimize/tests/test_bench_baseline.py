"""The formation benchmark's baseline (``bench/optimize.py``) is judged on input it can read
(issue 19): KMeansConstrained rounds its costs to int32(distance x 1000), so the harness must
hand it coordinates where that rounding is harmless. Formation of regional branches is S17
(33 branches from the 1,090 dispersed members of S16); the bench compares ``form_branches``
with this baseline."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

pytest.importorskip("k_means_constrained")

BENCH = Path(__file__).resolve().parents[3] / "bench"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """``bench/optimize.py`` loaded from its file (the bench is scripts, not a package)."""
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("bench_optimize", BENCH / "optimize.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH))
    return module


def _homes(n: int, seed: int) -> np.ndarray:
    """Homes in four neighbourhoods a few kilometres apart, as in a district."""
    rng = np.random.default_rng(seed)
    centres = np.array([[31.23, 121.47], [31.25, 121.49], [31.21, 121.50], [31.24, 121.44]])
    return centres[rng.integers(0, 4, n)] + rng.normal(0.0, 0.006, (n, 2))


def test_the_baseline_groups_the_same_in_metres_and_in_kilometres(bench):
    """S17: the baseline's grouping does not depend on the unit of its input, as long as the
    unit is one its int32(distance x 1000) costs can resolve; the bench's unit is metres."""
    homes = _homes(90, 3)
    metres = bench.kmc_input(homes)
    kilometres = bench.kmc_input(homes, unit_m=1000.0)
    np.testing.assert_allclose(metres / 1000.0, kilometres)
    by_m = bench.kmc_labels(metres, 4, seed=1, n_init=2)
    by_km = bench.kmc_labels(kilometres, 4, seed=1, n_init=2)
    assert by_m.tolist() == by_km.tolist()
    assert (np.bincount(by_m) >= 3).all()
    assert (np.bincount(by_m) <= 50).all()


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two labellings group the points alike (whatever the numbering)."""
    pairs = {(int(x), int(y)) for x, y in zip(a, b, strict=True)}
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def test_the_harness_refuses_unit_vectors_whose_costs_round_to_zero(bench):
    """The first version of the bench gave the baseline unit vectors: one kilometre is
    1.6e-4 there, every distance under about 3.2 km cost zero, and its figures were wrong
    (S17's formation compared with a blind baseline). Unit vectors group differently from
    metres, and the harness now refuses them."""
    from k_means_constrained import KMeansConstrained

    metres = bench.kmc_input(_homes(90, 3))
    unit = metres / bench.EARTH_RADIUS_M
    blind = KMeansConstrained(n_clusters=4, size_min=3, size_max=50, n_init=2, random_state=1)
    assert not _same_partition(blind.fit(unit).labels_, bench.kmc_labels(metres, 4, 1, 2))
    with pytest.raises(ValueError, match="smaller unit"):
        bench.check_kmc_input(unit)
    with pytest.raises(ValueError, match="smaller unit"):
        bench.kmc_labels(unit, 4, seed=1, n_init=2)
