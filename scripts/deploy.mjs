// npm run deploy -- --env staging|production [--url https://host] [--config wrangler.toml]
//
// 1. configuration: wrangler.toml's environment has no REPLACE_WITH_… placeholder left, names the
//    environment in ENVIRONMENT, keeps no secret in [vars], and passes the Worker's own check
//    (src/config.ts: no development stand-in, every value well-formed);
// 2. secrets: every secret `secrets.required` (src/secrets.ts) lists for this provider selection is
//    set on the Worker (`wrangler secret list --env X`, JSON);
// 3. migrations: `wrangler d1 migrations apply <database> --remote --env X`;
// 4. deploy: `wrangler deploy --env X`;
// 5. smoke test: GET <deployed URL>/healthz answers 200 {"ok":true} (retried for up to a minute).
// Each step stops the run when it fails, with the exit code below and what to do next.
import { spawn } from "node:child_process";
import { pathToFileURL } from "node:url";
import { placeholders, readEnvironment, workerConfig } from "./lib/worker-config.mjs";

export const EXIT = { usage: 2, configuration: 3, secrets: 4, migrations: 5, deploy: 6, smoke: 7 };
const ENVIRONMENTS = ["staging", "production"];

class Stop extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const step = (n, what) => console.log(`\n[${n}/5] ${what}`);
const ok = (what) => console.log(`  ✓ ${what}`);

function parseArgs(argv) {
  const args = { env: undefined, url: undefined, config: undefined };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i];
    if (flag === "--env" || flag === "-e") args.env = value();
    else if (flag === "--url") args.url = value();
    else if (flag === "--config" || flag === "-c") args.config = value();
    else throw new Stop(EXIT.usage, `unknown argument ${argv[i]}`);
  }
  if (!ENVIRONMENTS.includes(args.env)) {
    throw new Stop(EXIT.usage, `usage: npm run deploy -- --env ${ENVIRONMENTS.join("|")} [--url https://host]`);
  }
  return args;
}

/**
 * Runs `wrangler …args` (the one on PATH: node_modules/.bin under npm). Its output is shown as it
 * comes (`quiet`: stderr only) and stdout is returned. Rejects with the exit code.
 */
function wrangler(args, { quiet = false } = {}) {
  return new Promise((resolve, reject) => {
    console.log(`  $ wrangler ${args.join(" ")}`);
    const child = spawn("wrangler", args, {
      stdio: ["inherit", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (!quiet) process.stdout.write(d);
    });
    child.stderr.on("data", (d) => process.stderr.write(d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`wrangler exited with ${code}`))));
  });
}

/** Problems of the environment's configuration that no secret can fix (none: an empty list). */
export async function configurationProblems(config, env) {
  const { parseConfig, ConfigError, secrets } = await workerConfig();
  const vars = config.vars ?? {};
  const problems = placeholders(config).map((p) => `${p} is a placeholder: put your value in wrangler.toml [env.${env}]`);
  if (vars.ENVIRONMENT !== env) problems.push(`vars.ENVIRONMENT is ${JSON.stringify(vars.ENVIRONMENT)}, expected "${env}"`);
  for (const name of secrets.all) {
    if (typeof vars[name] === "string" && vars[name] !== "")
      problems.push(`vars.${name} is a secret: remove it from wrangler.toml and use wrangler secret put`);
  }
  // The Worker's own check, with a stand-in for each secret (their values are checked in step 2 by name only).
  const stand = Object.fromEntries(secrets.required(vars).map((s) => [s.name, "x".repeat(64)]));
  try {
    parseConfig({ ...vars, ...stand });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems.push(...e.problems.map((p) => `vars.${p}`));
  }
  return problems;
}

/** The secrets listed by `wrangler secret list --format json` (an array of {name, type}). */
export function parseSecretList(output) {
  const start = output.indexOf("[");
  const end = output.lastIndexOf("]");
  if (start < 0 || end < start) throw new Error("wrangler secret list did not answer a JSON array");
  const list = JSON.parse(output.slice(start, end + 1));
  return new Set(list.map((s) => s.name));
}

/** Where the Worker answers after `wrangler deploy`: its workers.dev URL or its custom domain. */
export function deployedUrl(output, config) {
  const url = /^\s+(https?:\/\/\S+)\s*$/m.exec(output);
  if (url) return url[1].replace(/\/+$/, "");
  const domain = /^\s+(\S+) \(custom domain\)\s*$/m.exec(output);
  if (domain) return `https://${domain[1]}`;
  const route = (config.routes ?? []).find((r) => typeof r === "object" && r.custom_domain);
  return route ? `https://${route.pattern}` : undefined;
}

/** GET /healthz until it answers 200 {"ok":true}, for up to `attempts` tries. */
export async function smokeTest(base, { attempts = 12, delayMs = 5000 } = {}) {
  let last = "";
  for (let i = 1; i <= attempts; i++) {
    try {
      const res = await fetch(`${base}/healthz`, { headers: { accept: "application/json" } });
      const body = await res.text();
      if (res.status === 200 && JSON.parse(body).ok === true) return;
      last = `${res.status} ${body.slice(0, 200)}`;
    } catch (e) {
      last = String(e instanceof Error ? e.message : e);
    }
    if (i < attempts) await new Promise((r) => setTimeout(r, delayMs));
  }
  throw new Error(`GET ${base}/healthz did not answer 200 {"ok":true}: ${last}`);
}

export async function deploy(argv, { smoke = {} } = {}) {
  const args = parseArgs(argv);
  const { env } = args;
  const common = ["--env", env, ...(args.config ? ["--config", args.config] : [])];
  console.log(`Deploying Doorstep to ${env}`);

  step(1, "configuration");
  const config = await readEnvironment(env, args.config);
  const problems = await configurationProblems(config, env);
  if (problems.length)
    throw new Stop(EXIT.configuration, `the configuration of ${env} is not ready:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  ok(`wrangler.toml [env.${env}]: no placeholder, no stand-in, no secret in [vars]`);

  step(2, "secrets");
  const { secrets } = await workerConfig();
  const required = secrets.required(config.vars);
  let present;
  try {
    present = parseSecretList(await wrangler(["secret", "list", "--format", "json", ...common], { quiet: true }));
  } catch (e) {
    throw new Stop(
      EXIT.secrets,
      `could not list the secrets of ${config.name} (${e.message}). A new Worker: set its secrets first (wrangler secret put creates it):\n` +
        required.map((s) => `  npx wrangler secret put ${s.name} --env ${env}`).join("\n"),
    );
  }
  const missing = required.filter((s) => !present.has(s.name));
  if (missing.length) {
    throw new Stop(
      EXIT.secrets,
      `${config.name} lacks ${missing.length} required secret(s); set each, then deploy again:\n` +
        missing.map((s) => `  npx wrangler secret put ${s.name} --env ${env}    # ${s.because}`).join("\n"),
    );
  }
  ok(`${required.length} required secrets set: ${required.map((s) => s.name).join(", ")}`);

  step(3, "D1 migrations (remote)");
  const database = config.d1_databases.find((d) => d.binding === "DB");
  if (!database) throw new Stop(EXIT.configuration, `[env.${env}] has no D1 database bound as DB`);
  try {
    await wrangler(["d1", "migrations", "apply", database.database_name, "--remote", ...common]);
  } catch (e) {
    throw new Stop(EXIT.migrations, `migrations failed (${e.message}); nothing was deployed. A failed migration is rolled back by D1.`);
  }
  ok(`${database.database_name} is up to date`);

  step(4, "deploy");
  let output;
  try {
    output = await wrangler(["deploy", ...common]);
  } catch (e) {
    throw new Stop(EXIT.deploy, `wrangler deploy failed (${e.message}); the previous version still serves.`);
  }
  const url = args.url?.replace(/\/+$/, "") ?? deployedUrl(output, config);
  if (!url) throw new Stop(EXIT.smoke, "deployed, but no URL to smoke-test: pass --url https://your-host");
  ok(`deployed ${config.name} at ${url}`);

  step(5, "smoke test");
  try {
    await smokeTest(url, smoke);
  } catch (e) {
    throw new Stop(EXIT.smoke, `${e.message}\n  Roll back with: npx wrangler rollback --env ${env}`);
  }
  ok(`${url}/healthz answers 200`);
  console.log(`\n${config.name} is live.`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await deploy(process.argv.slice(2), {
      smoke: process.env.DEPLOY_SMOKE_DELAY_MS ? { delayMs: Number(process.env.DEPLOY_SMOKE_DELAY_MS), attempts: 3 } : {},
    });
  } catch (e) {
    console.error(`\n✗ ${e.message}`);
    process.exit(e instanceof Stop ? e.code : 1);
  }
}
