"""
The route-quality bench's peer: solves one Solomon VRPTW instance with PyVRP under a wall-clock budget
and prints its routes as JSON. Run by bench/node/routes.ts only where `import pyvrp` works; the
routes are then checked and costed by our own checker in double precision (never trusted as given).

Usage: python3 pyvrp-solomon.py INSTANCE_FILE BUDGET_MS SEED

Solomon's objective is vehicles first, then distance. PyVRP solves a fixed fleet for distance, so the
budget is split as PyVRP's own documentation suggests for that objective: half to `minimise_fleet`
(the fewest vehicles it finds a feasible solution with), the rest to `solve` with that fleet. PyVRP
works in integers: distances, durations and windows are scaled by 1000 and rounded (its "exact"
rounding); the budget covers everything from reading the file to the last route.
"""

import json
import math
import sys
import time
from importlib import metadata


def read_solomon(path):
    with open(path, encoding="utf8") as f:
        lines = f.read().splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().upper().startswith("NUMBER"))
    count, capacity = (int(v) for v in lines[at + 1].split())
    start = next(i for i, line in enumerate(lines) if line.strip().upper().startswith("CUST NO.")) + 1
    rows = [[float(v) for v in line.split()] for line in lines[start:] if line.strip()[:1].isdigit()]
    return count, capacity, rows


def main():
    path, budget_ms, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    began = time.perf_counter()
    import pyvrp
    from pyvrp import Model, minimise_fleet, solve
    from pyvrp.stop import MaxRuntime

    try:
        version = metadata.version("pyvrp")
    except metadata.PackageNotFoundError:
        version = getattr(pyvrp, "__version__", "unknown")

    scale = 1000
    count, capacity, rows = read_solomon(path)
    m = Model()
    d = rows[0]
    depot = m.add_depot(d[1], d[2], tw_early=round(d[4] * scale), tw_late=round(d[5] * scale))
    m.add_vehicle_type(num_available=count, capacity=int(capacity), tw_early=round(d[4] * scale), tw_late=round(d[5] * scale))
    clients = [
        m.add_client(
            r[1],
            r[2],
            delivery=int(r[3]),
            service_duration=round(r[6] * scale),
            tw_early=round(r[4] * scale),
            tw_late=round(r[5] * scale),
        )
        for r in rows[1:]
    ]
    nodes = [depot, *clients]
    for i, a in enumerate(nodes):
        for j, b in enumerate(nodes):
            if i != j:
                dist = round(math.hypot(rows[i][1] - rows[j][1], rows[i][2] - rows[j][2]) * scale)
                m.add_edge(a, b, distance=dist, duration=dist)
    data = m.data()

    left = budget_ms / 1000 - (time.perf_counter() - began)
    fleet = minimise_fleet(data, MaxRuntime(max(0.0, left / 2)), seed=seed)
    data = data.replace(vehicle_types=[fleet])
    left = budget_ms / 1000 - (time.perf_counter() - began)
    result = solve(data, MaxRuntime(max(0.0, left)), seed=seed, collect_stats=False)
    best = result.best
    # Route visits are client indices 1..n in PyVRP's numbering (0 is the depot): job = visit − 1.
    routes = [[v - 1 for v in route.visits()] for route in best.routes()]
    print(
        json.dumps(
            {
                "version": version,
                "routes": routes,
                "feasible": best.is_feasible(),
                "fleet": fleet.num_available,
                "iterations": result.num_iterations,
                "ms": round((time.perf_counter() - began) * 1000),
            }
        )
    )


if __name__ == "__main__":
    main()
