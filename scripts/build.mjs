// Builds the Worker bundle exactly as deploy would (`wrangler deploy --dry-run --outdir`), by default
// for production (`--env staging` for staging), and checks its size against the Workers limit:
// 10 MiB gzip on Workers Paid (the default: production needs Queues, Durable Objects and cron at
// scale) or 3 MiB on Workers Free (`--plan free`, or WORKERS_PLAN=free). Fails above the limit.
// npm run deploy:dry runs it; so do npm run build and npm test.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

const MiB = 1024 * 1024;
/** The Workers script size limits (compressed), per plan: developers.cloudflare.com/workers/platform/limits/. */
export const LIMITS = { free: 3 * MiB, paid: 10 * MiB };

/** Whether a bundle of `gzipBytes` fits the plan's limit, and the line that says so. */
export function checkBundle({ rawBytes, gzipBytes, plan }) {
  const limit = LIMITS[plan];
  if (!limit) throw new Error(`unknown plan ${plan}: free or paid`);
  const mib = (n) => (n / MiB).toFixed(2);
  const share = ((gzipBytes / limit) * 100).toFixed(1);
  const ok = gzipBytes <= limit;
  const also = plan === "paid" && gzipBytes <= LIMITS.free ? "; it would also fit Workers Free's 3 MiB" : "";
  return {
    ok,
    limit,
    line: `bundle: ${mib(rawBytes)} MiB raw, ${mib(gzipBytes)} MiB gzip — ${share}% of the Workers ${plan === "paid" ? "Paid" : "Free"} limit (${mib(limit)} MiB gzip)${ok ? also : ": TOO LARGE, the upload would be refused"}`,
  };
}

function parseArgs(argv) {
  const args = { env: "production", plan: process.env.WORKERS_PLAN || "paid", outdir: undefined };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i];
    if (flag === "--env") args.env = value();
    else if (flag === "--plan") args.plan = value();
    else if (flag === "--outdir") args.outdir = value();
    else throw new Error(`unknown argument ${argv[i]} (--env staging|production, --plan free|paid, --outdir dir)`);
  }
  args.outdir ??= join("dist", args.env);
  return args;
}

/** Runs the dry run; returns its printed output (bindings, variables) and the bundle check. */
export function dryRun(argv) {
  const { env, plan, outdir } = parseArgs(argv);
  const output = execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--env", env, "--outdir", outdir], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  let rawBytes = 0;
  let gzipBytes = 0;
  for (const name of readdirSync(outdir)) {
    if (!/\.(m?js|wasm)$/.test(name)) continue;
    const file = join(outdir, name);
    rawBytes += statSync(file).size;
    gzipBytes += gzipSync(readFileSync(file)).length;
  }
  return { env, output, ...checkBundle({ rawBytes, gzipBytes, plan }) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const { env, output, ok, line } = dryRun(process.argv.slice(2));
    process.stdout.write(output);
    console.log(`${env} ${line}`);
    if (!ok) process.exit(1);
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
