/**
 * The route bench's reading of a peer's routes (PyVRP's): re-costed in double precision and checked by
 * our own checker, so a late, overfull or incomplete peer solution is never counted as feasible.
 */
import { describe, expect, it } from "vitest";
import c101 from "../../bench/data/solomon/C101.txt?raw";
import { parseSolomon, peerSolution } from "../../bench/node/solomon";
import { checkSolution, solveVrptw } from "../../src/domain/vrptw";

const problem = parseSolomon(c101);
const ours = solveVrptw(problem, { budgetMs: Number.MAX_SAFE_INTEGER, maxIterations: 300, seed: 1 });
const routes = ours.routes.map((r) => r.jobs);

describe("a peer's routes in the route bench", () => {
  it("a feasible set of routes checks clean, with the same distance and vehicles as our own reading", () => {
    expect(ours.feasible).toBe(true);
    const peer = peerSolution(problem, routes);
    expect(checkSolution(problem, peer)).toEqual([]);
    expect(peer.vehicles).toBe(ours.vehicles);
    const distance = (s: { routes: { cost: number }[] }) => s.routes.reduce((t, r) => t + r.cost, 0);
    expect(distance(peer)).toBeCloseTo(distance(ours), 6);
  });

  it("a route driven backwards is late: the checker names the windows and it is not feasible", () => {
    const reversed = routes.map((r, i) => (i === 0 ? [...r].reverse() : r));
    const problems = checkSolution(problem, peerSolution(problem, reversed));
    expect(problems.some((p) => p.startsWith("window:"))).toBe(true);
    expect(problems).toContain("feasible: stated feasible but is not");
  });

  it("a job left out is unassigned, and one route carrying two routes' load is over capacity", () => {
    const missing = checkSolution(problem, peerSolution(problem, [routes[0]!.slice(1), ...routes.slice(1)]));
    expect(missing).toContain("feasible: stated feasible but is not");
    const merged = checkSolution(problem, peerSolution(problem, [[...routes[0]!, ...routes[1]!], ...routes.slice(2)]));
    expect(merged.some((p) => p.startsWith("capacity:") || p.startsWith("window:") || p.startsWith("shift:"))).toBe(true);
  });
});
