"""The exact engine behind ``assign`` and ``pair``: capacitated assignment on a sparse graph.

Problem: every member ``i`` goes to one branch ``j`` (or, where allowed, stays unassigned at
a cost), no branch takes more than its capacity, and the total cost is least. The cost of an
arc is the great-circle distance in metres, minus an affinity bonus, plus a moving cost when
the branch is not the member's current one. It is a transportation problem, solved on a sparse
candidate graph: each member's k nearest branches, plus the columns the certificate adds.

The sparse problem is solved exactly by successive shortest paths on the branches, which also
give its exact dual prices. Why its answer is the optimum of the full problem: linear-
programming duality. Given branch prices ``p >= 0``, ``u_i = min_j (c_ij + p_j)`` over *every*
branch is dual feasible, so ``sum(u) - sum(cap * p)`` bounds every assignment's cost from
below. The certificate computes that minimum over all branches and finds, per member, the
branches outside its candidates that beat its seat at these prices. None anywhere: the bound
equals the cost and the assignment is optimal. Else they are added as columns and the sparse
problem is solved again, warm. Members whose candidates are all full get more candidates.

How the modules fit:

* ``problem`` — ``Problem`` and ``Solution``, and the numbers every module shares;
* ``driver`` — ``solve``: renumbers, guides the first round on large inputs, and runs the
  rounds of solve and certificate until the answer is proven;
* ``candidates`` — ``Candidates``: each member's arcs, widened where capacity is tight, and
  the certificate's search for cheaper columns;
* ``kdsearch`` — compiled k-d tree that finds the branches of least distance plus price;
* ``shortest_paths`` — compiled successive shortest paths: the sparse optimum and its prices;
  also branch formation's grouping with size bounds and its local k-medians descent;
* ``prices`` — least prices on the exchange graph, and the lower bounds prices prove;
* ``windows`` — beyond ``driver.GLOBAL_MEMBERS`` members: window by window, with a bound;
* ``infeasible`` — where the seats run out (``InfeasibleError`` with shortages);
* ``flow`` — ``solve_flow``, OR-Tools' min-cost flow, for branch formation's candidate sites.
"""

from .candidates import Candidates
from .driver import solve
from .flow import solve_flow
from .problem import INF, Problem

__all__ = ["INF", "Candidates", "Problem", "solve", "solve_flow"]
