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
import { checkSolution, solveVrptw } from "../../src/domain/vrptw.ts";
import type { Run } from "./report.ts";
import { ROOT } from "./runtime.ts";
import { parseSolomon } from "./solomon.ts";

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

export interface InstanceResult {
  instance: string;
  class: string;
  feasible: boolean;
  violations: number;
  vehicles: number;
  distance: number;
  bestVehicles: number;
  bestDistance: number;
  /** Distance above the best-known, in per cent (meaningful when the vehicle counts match). */
  gapPercent: number;
  matchesVehicles: boolean;
  ms: number;
  iterations: number;
}

export interface ClassSummary {
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

/** Whether PyVRP can be imported here; the bench never fakes it. */
function pyvrpStatus(): string {
  const r = spawnSync("python3", ["-c", "import pyvrp; print(pyvrp.__version__)"], { encoding: "utf8" });
  return r.status === 0 ? `installed ${r.stdout.trim()}` : "not installed";
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** Solves every instance under `budgetMs` (a fixed seed) and compares with the best-known solutions. */
export function routeQuality(budgetMs: number, log: (line: string) => void, only?: string[]): RouteQuality {
  const best = bestKnown();
  const start = os.loadavg().map((x) => round(x));
  const peer = pyvrpStatus();
  log(`PyVRP: ${peer}`);
  if (peer !== "not installed") log("PyVRP is importable, but this bench has no PyVRP driver yet: its figures are not recorded");
  const instances: InstanceResult[] = [];
  for (const name of only ?? solomonNames()) {
    const problem = loadSolomon(name);
    const t = performance.now();
    const solution = solveVrptw(problem, { budgetMs, seed: 1 });
    const ms = performance.now() - t;
    const violations = checkSolution(problem, solution);
    const distance = solution.routes.reduce((s, r) => s + r.cost, 0);
    const bk = best[name]!;
    const row: InstanceResult = {
      instance: name,
      class: classOf(name),
      feasible: solution.feasible && violations.length === 0,
      violations: violations.length,
      vehicles: solution.vehicles,
      distance: round(distance),
      bestVehicles: bk.vehicles,
      bestDistance: bk.distance,
      gapPercent: round(((distance - bk.distance) / bk.distance) * 100),
      matchesVehicles: solution.vehicles <= bk.vehicles,
      ms: Math.round(ms),
      iterations: solution.iterations ?? 0,
    };
    instances.push(row);
    log(
      `${name}: ${row.vehicles} vehicles (best ${bk.vehicles}), ${row.distance} (best ${bk.distance}, gap ${row.gapPercent} %), ${row.iterations} iterations in ${row.ms} ms${row.feasible ? "" : `, INFEASIBLE (${violations.slice(0, 3).join("; ")})`}`,
    );
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
  const target = q.classes.filter((c) => ["C1", "R1", "RC1"].includes(c.class));
  const met = target.every((c) => c.within3PercentAtBestVehicles === c.instances && c.feasible === c.instances);
  L.push(
    "",
    `**Target** (within 3 % of the best-known distance at the best-known vehicle count on C1, R1 and RC1, ${f(q.budgetMs / 1000)} s per instance; a feasible solution on every instance): ${met ? "**met**" : "**not met**"}: ${target.map((c) => `${c.class} ${c.within3PercentAtBestVehicles} of ${c.instances}`).join(", ")} within 3 % at the best-known vehicle count; feasible on ${q.classes.reduce((s, c) => s + c.feasible, 0)} of ${q.instances.length} instances.`,
    "",
    "Gap = (distance − best-known distance) / best-known distance. A solution with more vehicles than the best-known one is",
    'not compared on distance in the "at best-known vehicles" columns (with fewer routes the distance is usually longer, so',
    "the gap over all instances mixes two objectives).",
    "",
    `**Peer.** PyVRP: ${q.peer.status}. PyPI is not reachable from this machine, so \`pip install pyvrp\` fails. Built from`,
    "its source (github PyVRP/PyVRP), its build requires `docblock`, which no registry reachable here offers, and meson wraps",
    "that download pybind11 and spdlog from the internet; at run time it imports `vrplib`, which is neither installed nor",
    'available here. No PyVRP figures are shown and none are made up; the bench runs `python3 -c "import pyvrp"` each',
    "time and records what it finds.",
    "",
    "<details><summary>Every instance</summary>",
    "",
    "| instance | vehicles (best-known) | distance | best-known distance | gap | feasible | time | iterations |",
    "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
  );
  for (const r of q.instances)
    L.push(
      `| ${r.instance} | ${r.vehicles} (${r.bestVehicles}) | ${f(r.distance)} | ${f(r.bestDistance)} | ${f(r.gapPercent)} % | ${r.feasible ? "yes" : "**no**"} | ${f(r.ms / 1000, 1)} s | ${f(r.iterations, 0)} |`,
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
