/**
 * `npm run bench:solver [-- --instances R107,R109 --seeds 1-8 --budget 5000 --parallel 2]`: the route
 * solver (src/domain/vrptw.ts) on chosen Solomon instances over several seeds, to judge a change of the
 * solver where one seed is not enough (a run ends in one basin or another by chance, so single runs vary
 * by several percent). Each run gets the budget in its own Node process (`--parallel` at once; 2 on a
 * 2-core machine); every solution is checked by `checkSolution`. Prints one line per run and, at the end,
 * the runs within 3 % of the best-known distance at the best-known vehicle count and a mean score (per
 * run: the percent above the best-known distance, none when below, plus 10 per vehicle over). To compare two versions of the
 * solver, run it on each (e.g. in a second worktree) with the same arguments and `--parallel`, on a quiet
 * machine. Nothing is recorded: the route-quality figures of BENCHMARKS.md come from `npm run bench`.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DATA = path.join(HERE, "..", "data", "solomon");
const DEFAULT_INSTANCES = "R106,R107,R108,R109,R110,R111,RC102,RC104,RC108";

interface Run {
  name: string;
  seed: number;
  vehicles: number;
  bestVehicles: number;
  gap: number;
  iterations: number;
  violations: number;
}

/** One run, in this process (the child's part). */
async function solveOne(name: string, seed: number, budgetMs: number): Promise<Run> {
  const { parseSolomon, SOLOMON_VEHICLE_COST } = await import("./solomon.ts");
  const { solveVrptw, checkSolution } = await import("../../src/domain/vrptw.ts");
  const best = JSON.parse(readFileSync(path.join(DATA, "best-known.json"), "utf8"))[name];
  if (!best) throw new Error(`no best-known solution for ${name} in bench/data/solomon/best-known.json`);
  const problem = parseSolomon(readFileSync(path.join(DATA, `${name}.txt`), "utf8"));
  const s = solveVrptw(problem, { budgetMs, seed });
  const distance = s.cost - s.vehicles * SOLOMON_VEHICLE_COST;
  return {
    name,
    seed,
    vehicles: s.vehicles,
    bestVehicles: best.vehicles,
    gap: (distance / best.distance - 1) * 100,
    iterations: s.iterations ?? 0,
    violations: checkSolution(problem, s).length,
  };
}

function parseSeeds(text: string): number[] {
  const m = /^(\d+)-(\d+)$/.exec(text);
  if (m) return Array.from({ length: Number(m[2]) - Number(m[1]) + 1 }, (_, i) => Number(m[1]) + i);
  return text.split(",").map(Number);
}

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};

if (process.argv[2] === "--child") {
  const run = await solveOne(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]));
  process.stdout.write(JSON.stringify(run));
} else {
  const names = arg("--instances", DEFAULT_INSTANCES).split(",");
  const seeds = parseSeeds(arg("--seeds", "1-4"));
  const budget = Number(arg("--budget", "5000"));
  const parallel = Math.max(1, Number(arg("--parallel", "2")));
  const unknown = names.filter((n) => !existsSync(path.join(DATA, `${n}.txt`)));
  const badSeeds = seeds.filter((x) => !Number.isInteger(x) || x < 1);
  if (unknown.length || badSeeds.length || !(budget > 0)) {
    if (unknown.length)
      console.error(
        `unknown instance ${unknown.join(", ")}: bench/data/solomon holds the 56 Solomon instances (C101–C109, C201–C208, R101–R112, R201–R211, RC101–RC108, RC201–RC208)`,
      );
    if (badSeeds.length) console.error(`--seeds takes positive integers, "1,2,5" or "1-8"`);
    if (!(budget > 0)) console.error("--budget takes the milliseconds per run, above 0");
    process.exit(2);
  }
  const jobs = names.flatMap((name) => seeds.map((seed) => ({ name, seed })));
  const gitRev = (() => {
    try {
      return execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    } catch {
      return "?";
    }
  })();
  console.log(
    `${jobs.length} runs (${names.length} instances × ${seeds.length} seeds), ${budget} ms each, ${parallel} at once, at ${gitRev}`,
  );
  const runs: Run[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--child", job.name, String(job.seed), String(budget)], {
          stdio: ["ignore", "pipe", "inherit"],
        });
        let text = "";
        child.stdout.on("data", (d) => (text += d));
        child.on("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`${job.name} seed ${job.seed}: exit ${code}`))));
      });
      const run = JSON.parse(out) as Run;
      runs.push(run);
      const ok = run.vehicles <= run.bestVehicles && run.gap <= 3 && run.violations === 0;
      console.log(
        `${run.name.padEnd(6)} seed ${String(run.seed).padStart(2)}  ${run.vehicles} vehicles (${run.bestVehicles})  gap ${run.gap.toFixed(2).padStart(6)} %  ` +
          `${run.iterations} iterations${run.violations ? `  ${run.violations} VIOLATIONS` : ""}${ok ? "  within 3 %" : ""}`,
      );
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  const within = runs.filter((r) => r.vehicles <= r.bestVehicles && r.gap <= 3 && r.violations === 0).length;
  const points = runs.reduce((sum, r) => sum + Math.max(0, r.vehicles - r.bestVehicles) * 10 + Math.max(0, r.gap), 0);
  console.log(
    `within 3 % at the best-known vehicle count: ${within} of ${runs.length}; ` +
      `mean score ${(points / runs.length).toFixed(2)} (per run: % above the best-known distance, 10 per vehicle over)`,
  );
  if (runs.some((r) => r.violations)) process.exitCode = 1;
}
