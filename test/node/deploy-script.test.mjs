// scripts/deploy.mjs against a fake `wrangler` first on PATH (it records its arguments and answers
// the documented JSON of `wrangler secret list`) and a local HTTP server standing in for the deployed
// Worker: the order of the steps and where each failure stops the run.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { installFakeWrangler } from "./support/fake-wrangler.mjs";
import { deployedUrl, parseSecretList } from "../../scripts/deploy.mjs";

const ROOT = join(import.meta.dirname, "..", "..");
const SCRIPT = join(ROOT, "scripts", "deploy.mjs");
const fake = installFakeWrangler();

/** wrangler.toml with every placeholder filled in, written next to the repository's own so its paths still resolve. */
function readyConfig(edit = (s) => s) {
  const text = readFileSync(join(ROOT, "wrangler.toml"), "utf8").replace(/REPLACE_WITH_([A-Z0-9_]+)/g, (_, what) =>
    what.endsWith("HOSTNAME")
      ? `${what.toLowerCase().replaceAll("_", "-")}.example.test`
      : what.endsWith("DATABASE_ID")
        ? "6f1c2f0e-1f0b-4c43-9d3a-2a9b5d0c7e11"
        : `value-${what.toLowerCase()}`,
  );
  const path = join(ROOT, `.wrangler-deploy-test-${process.pid}-${Math.random().toString(36).slice(2)}.toml`);
  writeFileSync(path, edit(text));
  return path;
}
const created = [];
const config = (edit) => {
  const p = readyConfig(edit);
  created.push(p);
  return p;
};

let server;
let url;
/** Requests the stand-in Worker got, per run (each run deploys to a path of its own). */
const hits = new Map();

before(async () => {
  // GET /<run>/healthz: 200 {"ok":true}, or 503 problem+json for a run whose path starts with "down".
  server = createServer((req, res) => {
    const [, run, ...rest] = req.url.split("/");
    hits.set(run, [...(hits.get(run) ?? []), `${req.method} /${rest.join("/")}`]);
    const down = run.startsWith("down");
    res.writeHead(down ? 503 : 200, { "content-type": down ? "application/problem+json" : "application/json" });
    res.end(JSON.stringify(down ? { status: 503, code: "MISCONFIGURED" } : { ok: true, time: new Date().toISOString() }));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${server.address().port}`;
});
after(async () => {
  server.close();
  for (const p of created) rmSync(p, { force: true });
  rmSync(fake.dir, { recursive: true, force: true });
});

let runs = 0;
/** Runs the deploy script against the fake wrangler; its exit code, output, wrangler calls and the requests the Worker got. */
function run(args, { down = false, ...extra } = {}) {
  const id = `${down ? "down" : "up"}${++runs}`;
  const session = fake.session({ FAKE_WRANGLER_URL: `${url}/${id}`, DEPLOY_SMOKE_DELAY_MS: "10", ...extra });
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT, ...args], { cwd: ROOT, env: session.env }, (err, stdout, stderr) =>
      resolve({ code: err ? err.code : 0, stdout, stderr, calls: session.calls(), hits: hits.get(id) ?? [] }),
    );
  });
}

const STAGING_SECRETS = "JWT_SECRET,PII_KEY,ALIYUN_ACCESS_KEY_SECRET,JPUSH_MASTER_SECRET";

// Each run is its own process (about ten seconds on a busy machine): they run side by side.
describe("npm run deploy", { concurrency: true }, () => {
  it("refuses the repository's wrangler.toml while a REPLACE_WITH_ placeholder is left, before calling wrangler", async () => {
    const r = await run(["--env", "production"], { FAKE_WRANGLER_SECRETS: STAGING_SECRETS });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /d1_databases\[0\]\.database_id: REPLACE_WITH_PRODUCTION_D1_DATABASE_ID is a placeholder/);
    assert.match(r.stderr, /routes\[0\]\.pattern: REPLACE_WITH_PRODUCTION_HOSTNAME/);
    assert.deepEqual(r.calls, []);
  });

  it("refuses a development stand-in in the environment's variables, naming it", async () => {
    const toml = config((s) => s.replace(/(\[env\.staging\.vars\][^]*?)SMS_PROVIDER = "aliyun"/, '$1SMS_PROVIDER = "console"'));
    const r = await run(["--env", "staging", "--config", toml], { FAKE_WRANGLER_SECRETS: STAGING_SECRETS });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /SMS_PROVIDER="console".*development only, ENVIRONMENT=staging/);
    assert.deepEqual(r.calls, []);
  });

  it("refuses a secret written into [vars]", async () => {
    const toml = config((s) =>
      s.replace("[env.staging.vars]\n", '[env.staging.vars]\nJWT_SECRET = "committed-by-mistake-0123456789abcdef"\n'),
    );
    const r = await run(["--env", "staging", "--config", toml], { FAKE_WRANGLER_SECRETS: STAGING_SECRETS });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /vars\.JWT_SECRET is a secret/);
    assert.doesNotMatch(r.stderr, /committed-by-mistake/);
  });

  it("stops before migrating when a required secret is missing, naming the command that sets it", async () => {
    const toml = config();
    const r = await run(["--env", "staging", "--config", toml], { FAKE_WRANGLER_SECRETS: "JWT_SECRET,PII_KEY,ALIYUN_ACCESS_KEY_SECRET" });
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /npx wrangler secret put JPUSH_MASTER_SECRET --env staging/);
    assert.doesNotMatch(r.stderr, /secret put JWT_SECRET/);
    assert.deepEqual(r.calls, [["secret", "list", "--format", "json", "--env", "staging", "--config", toml]]);
  });

  it("asks for a payment provider's secrets once its id is configured", async () => {
    const toml = config((s) =>
      s.replace(/(\[env\.production\.vars\][^]*?)STRIPE_PUBLISHABLE_KEY = ""/, '$1STRIPE_PUBLISHABLE_KEY = "pk_live_x"'),
    );
    const r = await run(["--env", "production", "--config", toml], { FAKE_WRANGLER_SECRETS: STAGING_SECRETS });
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /secret put STRIPE_SECRET_KEY --env production/);
    assert.match(r.stderr, /secret put STRIPE_WEBHOOK_SECRET --env production/);
    assert.equal(r.calls.length, 1);
  });

  it("stops before deploying when the migrations fail", async () => {
    const toml = config();
    const r = await run(["--env", "staging", "--config", toml], {
      FAKE_WRANGLER_SECRETS: STAGING_SECRETS,
      FAKE_WRANGLER_FAIL: "migrations",
    });
    assert.equal(r.code, 5, r.stderr);
    assert.deepEqual(
      r.calls.map((c) => c.slice(0, 2)),
      [
        ["secret", "list"],
        ["d1", "migrations"],
      ],
    );
  });

  it("checks, migrates, deploys, then smoke-tests /healthz at the deployed URL, in that order", async () => {
    const toml = config();
    const r = await run(["--env", "staging", "--config", toml], { FAKE_WRANGLER_SECRETS: `${STAGING_SECRETS},SOMETHING_ELSE` });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.calls, [
      ["secret", "list", "--format", "json", "--env", "staging", "--config", toml],
      ["d1", "migrations", "apply", "doorstep-staging", "--remote", "--env", "staging", "--config", toml],
      ["deploy", "--env", "staging", "--config", toml],
    ]);
    assert.deepEqual(r.hits, ["GET /healthz"]);
    assert.match(
      r.stdout,
      /\[1\/5\] configuration[^]*\[2\/5\] secrets[^]*\[3\/5\] D1 migrations[^]*\[4\/5\] deploy[^]*\[5\/5\] smoke test[^]*doorstep-staging is live/,
    );
  });

  it("fails with the rollback command when the deployed Worker does not answer /healthz", async () => {
    const toml = config();
    const r = await run(["--env", "staging", "--config", toml], { down: true, FAKE_WRANGLER_SECRETS: STAGING_SECRETS });
    assert.equal(r.code, 7, r.stderr);
    assert.match(r.stderr, /healthz did not answer 200.*503/);
    assert.match(r.stderr, /npx wrangler rollback --env staging/);
    assert.equal(r.calls.at(-1)[0], "deploy");
    assert.equal(r.hits.length, 3);
  });

  it("refuses a missing or unknown environment", async () => {
    for (const args of [[], ["--env", "prod"], ["--env", "staging", "--frobnicate"]]) {
      const r = await run(args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /usage: npm run deploy -- --env staging\|production|unknown argument/);
      assert.deepEqual(r.calls, []);
    }
  });
});

describe("deploy helpers", () => {
  it("reads the names of `wrangler secret list --format json`", () => {
    const out =
      '[\n  {\n    "name": "JWT_SECRET",\n    "type": "secret_text"\n  },\n  {\n    "name": "PII_KEY",\n    "type": "secret_text"\n  }\n]\n';
    assert.deepEqual([...parseSecretList(out)], ["JWT_SECRET", "PII_KEY"]);
    assert.deepEqual([...parseSecretList("[]")], []);
    assert.throws(() => parseSecretList("✘ [ERROR] Authentication error"));
  });

  it("finds the deployed URL: workers.dev, else the custom domain, else the configured route", () => {
    assert.equal(
      deployedUrl("Deployed x triggers\n  https://doorstep-staging.acme.workers.dev\n", {}),
      "https://doorstep-staging.acme.workers.dev",
    );
    assert.equal(deployedUrl("Deployed x triggers\n  api.example.com (custom domain)\n", {}), "https://api.example.com");
    assert.equal(deployedUrl("Deployed", { routes: [{ pattern: "api.example.org", custom_domain: true }] }), "https://api.example.org");
    assert.equal(deployedUrl("Deployed", { routes: [] }), undefined);
  });
});
