/**
 * Route quality: the VRPTW solver (src/domain/vrptw.ts) on the 56 Solomon 100-customer instances
 * (bench/data/solomon/), each under a fixed time budget, against the best-known solutions
 * (bench/data/solomon/best-known.json). Solomon's convention: Euclidean distances in double
 * precision, travel time = distance, objective vehicles first, then distance.
 *
 * `npm run bench -- --routes-only [--quick]` runs only this part and rewrites only the "Route quality"
 * section of BENCHMARKS.md; the full `npm run bench` runs it too.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { checkSolution, solveVrptw, type VrpProblem, type VrpSolution } from "../../src/domain/vrptw.ts";
import type { Run } from "./report.ts";
import { ROOT } from "./runtime.ts";
import { parseSolomon, peerSolution } from "./solomon.ts";

const DATA = path.join(ROOT, "bench", "data", "solomon");
export const CLASSES = ["C1", "R1", "RC1", "C2", "R2", "RC2"] as const;

export interface BestKnown {
  vehicles: number;
  distance: number;
}

/** The instance names, class by class (C101…C109, R101…R112, RC101…RC108, C201…C208, R201…R211, RC201…RC208). */
export function solomonNames(): string[] {
  const counts: Record<(typeof CLASSES)[number], number> = { C1: 9, R1: 12, RC1: 8, C2: 8, R2: 11, RC2: 8 };
  return CLASSES.flatMap((c) => Array.from({ length: counts[c] }, (_, i) => `${c}${String(i + 1).padStart(2, "0")}`));
}

export const classOf = (name: string) => name.replace(/\d\d$/, "");

export const loadSolomon = (name: string) => parseSolomon(readFileSync(path.join(DATA, `${name}.txt`), "utf8"));
export const bestKnown = () => JSON.parse(readFileSync(path.join(DATA, "best-known.json"), "utf8")) as Record<string, BestKnown>;

/** One solver's answer on one instance, checked by `checkSolution` in double precision. */
export interface Solved {
  feasible: boolean;
  violations: number;
  vehicles: number;
  distance: number;
  /** Distance above the best-known, in per cent (meaningful when the vehicle counts match). */
  gapPercent: number;
  matchesVehicles: boolean;
  ms: number;
  iterations: number;
}

export interface InstanceResult extends Solved {
  instance: string;
  class: string;
  bestVehicles: number;
  bestDistance: number;
  /** PyVRP on the same instance, budget and seed (absent when PyVRP is not installed here). */
  peer?: Solved;
}

/** PyVRP's figures of one class (absent when PyVRP is not installed here). */
export interface PeerSummary {
  feasible: number;
  matchingVehicles: number;
  vehicles: number;
  meanGapAtBestVehiclesPercent: number | null;
  within3PercentAtBestVehicles: number;
}

export interface ClassSummary {
  peer?: PeerSummary;
  class: string;
  instances: number;
  feasible: number;
  matchingVehicles: number;
  vehicles: number;
  bestVehicles: number;
  meanGapPercent: number;
  /** Mean gap over the instances solved at the best-known vehicle count. */
  meanGapAtBestVehiclesPercent: number | null;
  maxGapAtBestVehiclesPercent: number | null;
  within3PercentAtBestVehicles: number;
  meanMs: number;
  meanIterations: number;
}

export interface RouteQuality {
  budgetMs: number;
  seed: number;
  instances: InstanceResult[];
  classes: ClassSummary[];
  peer: { name: "PyVRP"; status: string };
  loadAverage: { start: number[]; end: number[] };
}

/** The Python that runs PyVRP: `PYVRP_PYTHON` (e.g. a build of PyVRP beside a system Python), else `python3`. */
const PYTHON = process.env.PYVRP_PYTHON || "python3";
const PEER_DRIVER = path.join(ROOT, "bench", "node", "pyvrp-solomon.py");

/** Whether PyVRP can be imported here (its version, or null); the bench never fakes it. */
function pyvrpVersion(): string | null {
  const r = spawnSync(
    PYTHON,
    ["-c", "from importlib import metadata\nimport pyvrp\ntry:\n print(metadata.version('pyvrp'))\nexcept Exception:\n print('unknown')"],
    { encoding: "utf8" },
  );
  return r.status === 0 ? r.stdout.trim() : null;
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** A solution's figures against the best-known ones, after our checker has gone over it. */
function solvedOf(problem: VrpProblem, solution: VrpSolution, bk: BestKnown, ms: number): Solved {
  const violations = checkSolution(problem, solution);
  const distance = solution.routes.reduce((s, r) => s + r.cost, 0);
  return {
    feasible: solution.feasible && violations.length === 0,
    violations: violations.length,
    vehicles: solution.vehicles,
    distance: round(distance),
    gapPercent: round(((distance - bk.distance) / bk.distance) * 100),
    matchesVehicles: solution.vehicles <= bk.vehicles,
    ms: Math.round(ms),
    iterations: solution.iterations ?? 0,
  };
}

/** PyVRP on one instance under the same budget and seed, checked by our checker; null when it failed to run. */
function solveWithPyvrp(name: string, problem: VrpProblem, bk: BestKnown, budgetMs: number, log: (line: string) => void): Solved | null {
  const r = spawnSync(PYTHON, [PEER_DRIVER, path.join(DATA, `${name}.txt`), String(budgetMs), "1"], {
    encoding: "utf8",
    timeout: budgetMs * 4 + 30_000,
  });
  if (r.status !== 0) {
    log(`${name}: PyVRP failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr ?? "").trim().split("\n").at(-1) ?? ""}`);
    return null;
  }
  const answer = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { routes: number[][]; ms: number; iterations: number };
  return { ...solvedOf(problem, { ...peerSolution(problem, answer.routes), iterations: answer.iterations }, bk, answer.ms) };
}

/** Solves every instance under `budgetMs` (a fixed seed) and compares with the best-known solutions. */
export function routeQuality(budgetMs: number, log: (line: string) => void, only?: string[]): RouteQuality {
  const best = bestKnown();
  const start = os.loadavg().map((x) => round(x));
  const version = pyvrpVersion();
  const peer = version === null ? "not installed" : `PyVRP ${version} (${PYTHON})`;
  log(`PyVRP: ${peer}`);
  const instances: InstanceResult[] = [];
  for (const name of only ?? solomonNames()) {
    const problem = loadSolomon(name);
    const t = performance.now();
    const solution = solveVrptw(problem, { budgetMs, seed: 1 });
    const bk = best[name]!;
    const ours = solvedOf(problem, solution, bk, performance.now() - t);
    const theirs = version === null ? null : solveWithPyvrp(name, problem, bk, budgetMs, log);
    const row: InstanceResult = {
      instance: name,
      class: classOf(name),
      ...ours,
      bestVehicles: bk.vehicles,
      bestDistance: bk.distance,
      ...(theirs ? { peer: theirs } : {}),
    };
    instances.push(row);
    const line = (x: Solved) =>
      `${x.vehicles} vehicles (best ${bk.vehicles}), ${x.distance} (best ${bk.distance}, gap ${x.gapPercent} %), ${x.iterations} iterations in ${x.ms} ms${x.feasible ? "" : `, INFEASIBLE (${x.violations} violations)`}`;
    log(`${name}: ${line(ours)}`);
    if (theirs) log(`${name} PyVRP: ${line(theirs)}`);
  }
  const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : NaN);
  const classes = CLASSES.map((c): ClassSummary => {
    const rows = instances.filter((r) => r.class === c);
    const at = rows.filter((r) => r.matchesVehicles);
    return {
      class: c,
      instances: rows.length,
      feasible: rows.filter((r) => r.feasible).length,
      matchingVehicles: at.length,
      vehicles: rows.reduce((s, r) => s + r.vehicles, 0),
      bestVehicles: rows.reduce((s, r) => s + r.bestVehicles, 0),
      meanGapPercent: round(mean(rows.map((r) => r.gapPercent))),
      meanGapAtBestVehiclesPercent: at.length ? round(mean(at.map((r) => r.gapPercent))) : null,
      maxGapAtBestVehiclesPercent: at.length ? Math.max(...at.map((r) => r.gapPercent)) : null,
      within3PercentAtBestVehicles: at.filter((r) => r.gapPercent <= 3).length,
      meanMs: Math.round(mean(rows.map((r) => r.ms))),
      meanIterations: Math.round(mean(rows.map((r) => r.iterations))),
      ...(rows.every((r) => r.peer) && rows.length > 0 ? { peer: peerSummary(rows.map((r) => r.peer!)) } : {}),
    };
  }).filter((c) => c.instances > 0);
  return {
    budgetMs,
    seed: 1,
    instances,
    classes,
    peer: { name: "PyVRP", status: peer },
    loadAverage: { start, end: os.loadavg().map((x) => round(x)) },
  };
}

/** A class's PyVRP figures. */
function peerSummary(rows: Solved[]): PeerSummary {
  const at = rows.filter((r) => r.matchesVehicles);
  return {
    feasible: rows.filter((r) => r.feasible).length,
    matchingVehicles: at.length,
    vehicles: rows.reduce((s, r) => s + r.vehicles, 0),
    meanGapAtBestVehiclesPercent: at.length ? round(at.reduce((s, r) => s + r.gapPercent, 0) / at.length) : null,
    within3PercentAtBestVehicles: at.filter((r) => r.gapPercent <= 3 && r.feasible).length,
  };
}

export const ROUTES_START = "<!-- route-quality:start -->";
export const ROUTES_END = "<!-- route-quality:end -->";

/** The "Route quality" section of BENCHMARKS.md. */
export function routeSection(run: Run, resultFile: string): string[] {
  const q = run.results.find((r) => r.name === "routes.quality") as (RouteQuality & { machine?: Record<string, unknown> }) | undefined;
  const L: string[] = [ROUTES_START, "## Route quality", ""];
  if (!q) {
    L.push("Not part of this run (`npm run bench -- --routes-only`).", "", ROUTES_END, "");
    return L;
  }
  const cores = (run.machine.cores as number | undefined) ?? os.cpus().length;
  const loaded = Math.max(...q.loadAverage.start, ...q.loadAverage.end) > cores * 0.75;
  const f = (x: number | null, d = 2) => (x === null ? "–" : x.toLocaleString("en-US", { maximumFractionDigits: d }));
  L.push(
    `The route solver (\`src/domain/vrptw.ts\`, [docs/routes-solver.md](docs/routes-solver.md)) on the 56 Solomon 100-customer`,
    `instances, ${f(q.budgetMs / 1000)} s per instance, seed ${q.seed}, one instance at a time in one Node process; recorded in`,
    `\`${resultFile}\` by \`${run.command}\`. Best-known solutions: bench/data/solomon/best-known.json (SINTEF's table, see`,
    "bench/data/solomon/SOURCE.md). Distances are Euclidean in double precision, travel time = distance, vehicles first,",
    "then distance. Every solution is checked by `checkSolution` (windows, capacity, shift, every customer once).",
    "",
    `Load average ${q.loadAverage.start.join(" / ")} at the start and ${q.loadAverage.end.join(" / ")} at the end on ${cores} cores${
      loaded
        ? ": **the machine was loaded by other work during this run**, so each instance got less CPU than its wall-clock budget; the iteration counts show how much search each one really had."
        : "."
    }`,
    "",
    "| class | instances | feasible | at best-known vehicles | vehicles (best-known) | mean gap, all | mean gap at best-known vehicles | worst gap at best-known vehicles | within 3 % at best-known vehicles | mean time | mean iterations |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  );
  for (const c of q.classes)
    L.push(
      `| ${c.class} | ${c.instances} | ${c.feasible} | ${c.matchingVehicles} | ${c.vehicles} (${c.bestVehicles}) | ${f(c.meanGapPercent)} % | ${f(c.meanGapAtBestVehiclesPercent)} % | ${f(c.maxGapAtBestVehiclesPercent)} % | ${c.within3PercentAtBestVehicles} | ${f(c.meanMs / 1000, 1)} s | ${f(c.meanIterations, 0)} |`,
    );
  const withPeer = q.classes.some((c) => c.peer);
  if (withPeer) {
    L.push(
      "",
      `**PyVRP on the same instances**, the same budget and seed, one instance at a time after ours (\`bench/node/pyvrp-solomon.py\`: half the budget to its \`minimise_fleet\`, the rest to \`solve\` with that fleet; its routes are re-costed and checked by our \`checkSolution\` in double precision):`,
      "",
      "| class | feasible | at best-known vehicles | vehicles (best-known) | mean gap at best-known vehicles | within 3 % at best-known vehicles |",
      "| --- | ---: | ---: | ---: | ---: | ---: |",
    );
    for (const c of q.classes)
      if (c.peer)
        L.push(
          `| ${c.class} | ${c.peer.feasible} | ${c.peer.matchingVehicles} | ${c.peer.vehicles} (${c.bestVehicles}) | ${f(c.peer.meanGapAtBestVehiclesPercent)} % | ${c.peer.within3PercentAtBestVehicles} |`,
        );
  }
  const target = q.classes.filter((c) => ["C1", "R1", "RC1"].includes(c.class));
  const met = target.every((c) => c.within3PercentAtBestVehicles === c.instances && c.feasible === c.instances);
  L.push(
    "",
    `**Target** (within 3 % of the best-known distance at the best-known vehicle count on C1, R1 and RC1, ${f(q.budgetMs / 1000)} s per instance; a feasible solution on every instance): ${met ? "**met in this run**" : "**not met in this run**"}: ${target.map((c) => `${c.class} ${c.within3PercentAtBestVehicles} of ${c.instances}`).join(", ")} within 3 % at the best-known vehicle count; feasible on ${q.classes.reduce((s, c) => s + c.feasible, 0)} of ${q.instances.length} instances.`,
    "A wall-clock budget makes every run different, and one run with one seed does not show how often the target is met:",
    'that is measured over seeds, at 5 s and at 10 s per instance, in [docs/routes-solver.md](docs/routes-solver.md), "Limits".',
    "",
    "Gap = (distance − best-known distance) / best-known distance. A solution with more vehicles than the best-known one is",
    'not compared on distance in the "at best-known vehicles" columns (with fewer routes the distance is usually longer, so',
    "the gap over all instances mixes two objectives).",
    "",
    `**Peer.** ${q.peer.status === "not installed" ? "PyVRP: not installed on the machine of this run" : q.peer.status}. PyPI is not reachable from these machines, so \`pip install pyvrp\``,
    "fails; the bench runs PyVRP wherever `import pyvrp` works in `PYVRP_PYTHON` (default `python3`) and records nothing",
    "for it otherwise. How it was built here from its source, without PyPI: [docs/routes-solver.md](docs/routes-solver.md),",
    '"PyVRP beside the bench".',
    "",
    "<details><summary>Every instance</summary>",
    "",
    withPeer
      ? "| instance | vehicles (best-known) | distance | best-known distance | gap | feasible | time | iterations | PyVRP vehicles | PyVRP distance | PyVRP gap | PyVRP feasible |"
      : "| instance | vehicles (best-known) | distance | best-known distance | gap | feasible | time | iterations |",
    withPeer
      ? "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |"
      : "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
  );
  for (const r of q.instances)
    L.push(
      `| ${r.instance} | ${r.vehicles} (${r.bestVehicles}) | ${f(r.distance)} | ${f(r.bestDistance)} | ${f(r.gapPercent)} % | ${r.feasible ? "yes" : "**no**"} | ${f(r.ms / 1000, 1)} s | ${f(r.iterations, 0)} |${
        withPeer
          ? r.peer
            ? ` ${r.peer.vehicles} | ${f(r.peer.distance)} | ${f(r.peer.gapPercent)} % | ${r.peer.feasible ? "yes" : "**no**"} |`
            : " – | – | – | – |"
          : ""
      }`,
    );
  L.push("", "</details>", "", ROUTES_END, "");
  return L;
}

/** Rewrites only the "Route quality" section of BENCHMARKS.md, leaving the rest as recorded. */
export function renderRouteSection(run: Run, resultFile: string): void {
  const file = path.join(ROOT, "BENCHMARKS.md");
  const page = readFileSync(file, "utf8");
  const section = routeSection(run, resultFile).join("\n");
  const start = page.indexOf(ROUTES_START);
  const end = page.indexOf(ROUTES_END);
  let next: string;
  if (start >= 0 && end > start) next = page.slice(0, start) + section + page.slice(end + ROUTES_END.length).replace(/^\n*/, "\n");
  else {
    const at = page.indexOf("## W9 cold start");
    next = at >= 0 ? `${page.slice(0, at)}${section}\n${page.slice(at)}` : `${page.trimEnd()}\n\n${section}`;
  }
  writeFileSync(file, next);
  execFileSync(process.execPath, [path.join(ROOT, "node_modules", "prettier", "bin", "prettier.cjs"), "--write", file], {
    stdio: "ignore",
  });
}
