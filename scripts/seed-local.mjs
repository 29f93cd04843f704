// npm run seed: applies the local D1 migrations, then writes the demo data (scripts/seed.ts) into the
// local D1 that `wrangler dev` uses (.wrangler/state), and the demo basemap into its local R2. Idempotent: running it again adds nothing.
// `npm run seed -- --persist-to DIR --vars FILE` seeds another local state directory with the keys of
// another variables file (the benchmark runner's own database, made with .dev.vars.example).
import { build, stop } from "esbuild";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs, parseEnv } from "node:util";
import { ROOT, devVars, requireNode, wrangler } from "./dev-env.mjs";
import { putBasemap } from "./upload-basemap.mjs";

const CACHE = join(ROOT, ".cache");

/**
 * Applies the migrations, writes the demo data and prints what the database holds; returns the seed plan.
 * `persistTo` picks the local state directory (default .wrangler/state), `varsFile` the variables whose
 * keys encrypt the data (default .dev.vars).
 */
export async function seed({ persistTo, varsFile } = {}) {
  const vars = varsFile ? parseEnv(readFileSync(varsFile, "utf8")) : devVars();
  const local = ["--local", ...(persistTo ? ["--persist-to", persistTo] : [])];
  await applyMigrations(local);

  // TypeScript and the Worker's own modules (schema, Pii, H3 rules), bundled for Node on the fly.
  mkdirSync(CACHE, { recursive: true });
  const bundle = join(CACHE, "seed.mjs");
  await build({
    entryPoints: [join(ROOT, "scripts", "seed.ts")],
    outfile: bundle,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    logLevel: "warning",
  });
  await stop();
  const { buildSeed } = await import(pathToFileURL(bundle).href);
  const plan = await buildSeed(vars);

  const file = join(CACHE, "seed.sql");
  writeFileSync(file, plan.statements.map((s) => `${s};\n`).join(""));
  await wrangler(["d1", "execute", "DB", ...local, "--file", file], { capture: true });

  const counts = await tableCounts(Object.keys(plan.rows), local);
  const offered = Object.entries(plan.rows)
    .map(([table, n]) => `${table} ${n}`)
    .join(", ");
  const held = Object.entries(counts)
    .map(([table, n]) => `${table} ${n}`)
    .join(", ");
  console.log(`Demo data written (existing rows kept; demo accounts keep their documented roles): ${offered}.`);
  console.log(`Local D1 now holds: ${held}.`);
  // the demo city's basemap (data/basemap/) into the local R2, where the live map finds it
  await putBasemap({ persistTo });
  return { ...plan, counts };
}

export async function applyMigrations(local) {
  const out = await wrangler(["d1", "migrations", "apply", "DB", ...local], { capture: true });
  console.log(/No migrations to apply/i.test(out) ? "Local D1 migrations: up to date." : out.trim());
}

/** Row counts of the given tables in the local D1. */
async function tableCounts(tables, local) {
  const query = `SELECT ${tables.map((t) => `(SELECT count(*) FROM "${t}") AS "${t}"`).join(", ")}`;
  const out = await wrangler(["d1", "execute", "DB", ...local, "--json", "--command", query], { capture: true });
  const [result] = JSON.parse(out.slice(out.indexOf("[")));
  return result.results[0];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  requireNode();
  const { values } = parseArgs({ options: { "persist-to": { type: "string" }, vars: { type: "string" } } });
  try {
    await seed({ persistTo: values["persist-to"], varsFile: values.vars });
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
