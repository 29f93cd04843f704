// `wrangler deploy --dry-run` for both deployments of wrangler.toml (scripts/build.mjs, as npm run
// deploy:dry runs it): the bundle fits the Workers limit, and each deployment binds everything the
// Worker binds locally (the bindings the tests run with) to resources of its own, with safe variables.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { checkBundle, dryRun, LIMITS } from "../../scripts/build.mjs";
import { readEnvironment, workerConfig, workerModule } from "../../scripts/lib/worker-config.mjs";

const outdirs = [];
after(() => outdirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The binding table the dry run prints: name → [resource, kind]; variables: name → value as printed. */
function printed(output) {
  const bindings = new Map();
  const vars = new Map();
  for (const line of output.split("\n")) {
    const m =
      /^env\.([A-Z0-9_]+)(?: \((.*)\))?\s{2,}(Durable Object|Queue|D1 Database|R2 Bucket|Rate Limit|Assets|Environment Variable)\s*$/.exec(
        line,
      );
    if (!m) continue;
    if (m[3] === "Environment Variable") vars.set(m[1], m[2]);
    else bindings.set(m[1], [m[2] ?? "", m[3]]);
  }
  return { bindings, vars };
}

/** The bindings of a resolved configuration, by name → kind (what the Worker's code uses as env.NAME). */
function bindingsOf(c) {
  return new Map([
    ...c.d1_databases.map((d) => [d.binding, "D1 Database"]),
    ...c.durable_objects.bindings.map((d) => [d.name, "Durable Object"]),
    ...c.queues.producers.map((q) => [q.binding, "Queue"]),
    ...c.r2_buckets.map((r) => [r.binding, "R2 Bucket"]),
    ...c.ratelimits.map((r) => [r.name, "Rate Limit"]),
    ...(c.assets?.binding ? [[c.assets.binding, "Assets"]] : []),
  ]);
}

describe("the deployments (wrangler deploy --dry-run)", () => {
  const local = readEnvironment(undefined);

  for (const env of ["staging", "production"]) {
    it(`${env}: bundles within the Workers limit, binds what the Worker binds to its own resources, with safe variables`, async () => {
      const outdir = join(tmpdir(), `doorstep-dry-run-${env}-${process.pid}`);
      outdirs.push(outdir);
      const run = dryRun(["--env", env, "--outdir", outdir]);
      assert.ok(run.ok, run.line);
      assert.match(run.line, /MiB gzip — [\d.]+% of the Workers Paid limit/);

      const config = await readEnvironment(env);
      const want = bindingsOf(await local);
      const { bindings, vars } = printed(run.output);
      // every binding of the local Worker (the one the tests exercise), of the same kind, and nothing else
      assert.deepEqual(new Map([...bindings].map(([k, [, kind]]) => [k, kind])), want);
      assert.deepEqual(bindingsOf(config), want);
      // resources of its own: D1, queues and the bucket carry the environment's name
      for (const name of ["DB", "NOTIFICATIONS", "CELL_EVENTS", "WEBHOOKS", "ROUTE_PLANS", "PHOTOS", "BACKUPS"])
        assert.match(bindings.get(name)[0], new RegExp(`^doorstep-${env}\\b`), name);
      assert.equal(config.name, `doorstep-${env}`);
      // rate-limit counters of its own
      const namespaces = config.ratelimits.map((r) => r.namespace_id);
      for (const n of namespaces)
        assert.ok(!(await local).ratelimits.some((r) => r.namespace_id === n), `${env} shares rate-limit namespace ${n}`);

      // every producer's queue and its dead-letter queue are consumed, each by the consumer of its role
      const { queueRole } = await workerModule("src/domain/cell-events.ts");
      const consumed = config.queues.consumers.map((c) => c.queue);
      assert.deepEqual(consumed.map(queueRole).sort(), [
        "cell-events",
        "cell-events-dlq",
        "notifications",
        "notifications-dlq",
        "route-plans",
        "webhooks",
      ]);
      for (const c of config.queues.consumers.filter((c) => c.dead_letter_queue)) assert.ok(consumed.includes(c.dead_letter_queue));
      for (const p of config.queues.producers) assert.ok(consumed.includes(p.queue), p.queue);

      // cron, observability, a custom-domain route, the DO class
      assert.deepEqual(config.triggers.crons, (await local).triggers.crons);
      assert.equal(config.observability.enabled, true);
      assert.ok(config.routes.every((r) => r.custom_domain === true));
      assert.deepEqual(
        config.durable_objects.bindings.map((b) => ({ ...b })),
        [{ name: "CELL", class_name: "CellDO" }],
      );

      // variables: every top-level one (wrangler does not inherit them), the deployment's name, no stand-in
      for (const name of Object.keys((await local).vars)) assert.ok(vars.has(name), `${env} lacks ${name}`);
      assert.equal(vars.get("ENVIRONMENT"), `"${env}"`);
      assert.equal(vars.get("OTP_DEV_ECHO"), '"0"');
      const { parseConfig, secrets } = await workerConfig();
      const withSecrets = { ...config.vars, ...Object.fromEntries(secrets.required(config.vars).map((s) => [s.name, "x".repeat(64)])) };
      assert.equal(parseConfig(withSecrets).ENVIRONMENT, env);
      // and it refuses to serve until the required secrets are set
      assert.throws(() => parseConfig({ ...config.vars, JWT_SECRET: "x".repeat(64) }), /PII_KEY is required/);
    });
  }
});

describe("the bundle size check", () => {
  it("fails above the plan's limit, and says which limit it used", () => {
    assert.deepEqual(LIMITS, { free: 3 * 1024 * 1024, paid: 10 * 1024 * 1024 });
    const small = checkBundle({ rawBytes: 4e6, gzipBytes: 1 * 1024 * 1024, plan: "paid" });
    assert.equal(small.ok, true);
    assert.match(small.line, /Workers Paid limit \(10\.00 MiB gzip\); it would also fit Workers Free's 3 MiB/);
    const big = checkBundle({ rawBytes: 2e7, gzipBytes: 4 * 1024 * 1024, plan: "free" });
    assert.equal(big.ok, false);
    assert.match(big.line, /Workers Free limit \(3\.00 MiB gzip\): TOO LARGE/);
    assert.equal(checkBundle({ rawBytes: 0, gzipBytes: 10 * 1024 * 1024 + 1, plan: "paid" }).ok, false);
    assert.throws(() => checkBundle({ rawBytes: 0, gzipBytes: 0, plan: "enterprise" }), /free or paid/);
  });
});
