import { createScheduledController, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import wranglerToml from "../../wrangler.toml?raw";
import { BACKUP_CRON, pruneBackups, runBackup } from "../../src/backups";
import type { BackupManifest } from "../../src/backups/backup.service";
import { call, expectProblem, signIn, signInAdmin, signInWithRoles } from "../support/http";
import { auditActions } from "../support/fixtures";

const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

async function manifest(date: string): Promise<BackupManifest> {
  const obj = await env.BACKUPS.get(`backups/${date}/manifest.json`);
  expect(obj).not.toBeNull();
  return obj!.json<BackupManifest>();
}

/** The statements of a part: one per line ending in `;` (comment lines skipped; CREATE statements may span lines). */
function statementsOf(sql: string): string[] {
  return sql
    .split(/;\n/)
    .map((s) =>
      s
        .split("\n")
        .filter((l) => !l.startsWith("--"))
        .join("\n")
        .trim(),
    )
    .filter(Boolean);
}

/** Runs every part of a backup into an empty D1 database, each part as one batch (what `wrangler d1 execute --file` does). */
async function restoreInto(db: D1Database, m: BackupManifest): Promise<void> {
  for (const part of m.parts) {
    const obj = await env.BACKUPS.get(part.key);
    const text = await obj!.text();
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
    expect([...digest].map((b) => b.toString(16).padStart(2, "0")).join("")).toBe(part.sha256);
    const statements = statementsOf(text);
    if (statements.length) await db.batch(statements.map((s) => db.prepare(s)));
  }
}

async function tableRows(db: D1Database, table: string): Promise<unknown[]> {
  const { results } = await db.prepare(`SELECT rowid AS __rowid, * FROM "${table}" ORDER BY rowid`).all();
  return results;
}

async function emptyRestoreDb(): Promise<void> {
  const { results } = await env.RESTORE_DB.prepare(
    "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND type IN ('table','view','trigger')",
  ).all<{ type: string; name: string }>();
  const drops = results.map((r) => `DROP ${r.type.toUpperCase()} IF EXISTS "${r.name}"`);
  if (drops.length)
    await env.RESTORE_DB.batch([env.RESTORE_DB.prepare("PRAGMA defer_foreign_keys = on"), ...drops.map((d) => env.RESTORE_DB.prepare(d))]);
}

async function clearBucket(): Promise<void> {
  const listed = await env.BACKUPS.list({ prefix: "backups/" });
  if (listed.objects.length) await env.BACKUPS.delete(listed.objects.map((o) => o.key));
}

describe("daily D1 backup to R2", () => {
  it("is the daily cron of wrangler.toml, and that cron runs it", async () => {
    expect(wranglerToml).toContain(`"${BACKUP_CRON}"`);
    await clearBucket();
    const now = Date.parse("2031-03-03T02:30:00Z");
    await worker.scheduled(createScheduledController({ scheduledTime: now, cron: BACKUP_CRON }), env);
    expect((await manifest("2031-03-03")).status).toBe("complete");
  });

  it("dumps every table in bounded pages; restored into an empty D1 the rows are equal, sealed columns still sealed", async () => {
    await clearBucket();
    const phone = (await signIn()).phone;
    const admin = await signInAdmin();
    // A row with a line break, quotes and a formula-looking text, and the sealed phone of an account.
    await env.DB.prepare("INSERT INTO audit_log (at, actor_id, action, target_type, target_id, data) VALUES (?, NULL, 'test', 't', ?, ?)")
      .bind(
        Date.now(),
        "line\n'quoted' \"double\";\r\n=1+1;\n",
        JSON.stringify({ text: "多行\n'引号' \"双\"\r\n=1+1; DROP TABLE x;", n: 1.1e-7 }),
      )
      .run();
    const now = Date.now();
    // Small pages and parts, so the job takes many bounded pages and big tables span several parts.
    const result = await runBackup(env, now, { start: true, pageRows: 7, partRows: 14, maxPages: 100_000 });
    expect(result.status).toBe("complete");
    expect(result.pages).toBeGreaterThan(10);
    const m = await manifest(dateOf(now));
    expect(m.status).toBe("complete");
    expect(m.parts[0]!.kind).toBe("schema");
    expect(m.parts.at(-1)!.kind).toBe("indexes");
    expect(m.parts.filter((p) => p.kind === "rows").every((p) => p.rows <= 14)).toBe(true);

    // Sealed columns are copied as stored: the ciphertext is there, the phone itself is not.
    const all = (await Promise.all(m.parts.map(async (p) => (await env.BACKUPS.get(p.key))!.text()))).join("");
    const stored = await env.DB.prepare("SELECT phone_enc FROM accounts WHERE id = ?").bind(admin.accountId).first<{ phone_enc: string }>();
    expect(all).toContain(stored!.phone_enc);
    expect(all).not.toContain(phone);
    expect(all).not.toContain(phone.slice(1));

    await emptyRestoreDb();
    await restoreInto(env.RESTORE_DB, m);
    const tables = m.tables.map((t) => t.name);
    expect(tables).toContain("orders");
    expect(tables).toContain("accounts");
    for (const t of m.tables) {
      const [original, restored] = await Promise.all([tableRows(env.DB, t.name), tableRows(env.RESTORE_DB, t.name)]);
      expect(restored, t.name).toEqual(original);
      expect(t.rows, t.name).toBe(original.length);
    }
    // Indexes came back too (the last part).
    const indexes = (db: D1Database) =>
      db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
        .all<{ name: string }>()
        .then((r) => r.results.map((x) => x.name));
    expect(await indexes(env.RESTORE_DB)).toEqual((await indexes(env.DB)).filter((n) => !n.startsWith("_cf_")));
    // Tables come after the tables their foreign keys point at.
    expect(tables.indexOf("accounts")).toBeLessThan(tables.indexOf("orders"));
  });

  it("a second run on the same day changes nothing", async () => {
    await clearBucket();
    const now = Date.parse("2031-05-05T02:30:00Z");
    expect((await runBackup(env, now, { start: true })).status).toBe("complete");
    const first = await env.BACKUPS.list({ prefix: "backups/2031-05-05/" });
    const before = await manifest("2031-05-05");
    await signIn(); // new rows meanwhile must not go into a finished backup
    const again = await runBackup(env, now + 3_600_000, { start: true });
    expect(again).toMatchObject({ status: "complete", pages: 0 });
    const second = await env.BACKUPS.list({ prefix: "backups/2031-05-05/" });
    expect(second.objects.map((o) => [o.key, o.etag])).toEqual(first.objects.map((o) => [o.key, o.etag]));
    expect(await manifest("2031-05-05")).toEqual(before);
    // The every-minute run has nothing to do either.
    expect((await runBackup(env, now + 60_000)).pages).toBe(0);
  });

  it("an interrupted backup resumes where it stopped, on the next cron runs, and ends equal to the database", async () => {
    await clearBucket();
    const now = Date.parse("2031-07-07T02:30:00Z");
    const first = await runBackup(env, now, { start: true, pageRows: 5, partRows: 10, maxPages: 3 });
    expect(first).toMatchObject({ status: "running", pages: 3 });
    const midway = await manifest("2031-07-07");
    expect(midway.status).toBe("running");
    expect(midway.cursor.table + midway.cursor.afterRowid).toBeGreaterThan(0);
    expect(midway.lease).toBeNull();
    // A run dies holding the lease: nobody else writes until the lease runs out (5 minutes).
    await env.BACKUPS.put(
      "backups/2031-07-07/manifest.json",
      JSON.stringify({ ...midway, lease: { token: "dead", until: now + 60_000 + 5 * 60_000 } }),
    );
    expect((await runBackup(env, now + 120_000, { pageRows: 5 })).status).toBe("busy");
    expect((await manifest("2031-07-07")).cursor).toEqual(midway.cursor);
    // From then on the every-minute cron (no start) carries on, a few pages each time, until it is complete.
    let at = now + 7 * 60_000;
    let status = "running";
    for (let i = 0; i < 2000 && status !== "complete"; i++, at += 60_000) {
      status = (await runBackup(env, at, { pageRows: 5, partRows: 10, maxPages: 4 })).status;
    }
    expect(status).toBe("complete");
    const m = await manifest("2031-07-07");
    // Every page was written once: row counts are those of the database (nothing was written meanwhile).
    for (const t of m.tables) {
      const { results } = await env.DB.prepare(`SELECT COUNT(*) AS n FROM "${t.name}"`).all<{ n: number }>();
      expect(t.rows, t.name).toBe(results[0]!.n);
    }
    await emptyRestoreDb();
    await restoreInto(env.RESTORE_DB, m);
    for (const t of m.tables) expect(await tableRows(env.RESTORE_DB, t.name), t.name).toEqual(await tableRows(env.DB, t.name));
    // Nothing but the manifest and its parts is left in the folder.
    const keys = (await env.BACKUPS.list({ prefix: "backups/2031-07-07/" })).objects.map((o) => o.key).sort();
    expect(keys).toEqual([...m.parts.map((p) => p.key), "backups/2031-07-07/manifest.json"].sort());
  });

  it("waits while another run holds the lease; after it lapses the next run takes over and removes the dead run's parts", async () => {
    await clearBucket();
    const now = Date.parse("2031-08-08T02:30:00Z");
    await runBackup(env, now, { start: true, pageRows: 5, maxPages: 1 });
    const m = await manifest("2031-08-08");
    // Someone else holds a fresh lease: this run waits.
    await env.BACKUPS.put(
      "backups/2031-08-08/manifest.json",
      JSON.stringify({ ...m, lease: { token: "other", until: now + 10 * 60_000 } }),
    );
    expect((await runBackup(env, now + 60_000, { pageRows: 5 })).status).toBe("busy");
    expect((await manifest("2031-08-08")).cursor).toEqual(m.cursor);
    // The dead run had written a part its manifest never named.
    await env.BACKUPS.put("backups/2031-08-08/0001-accounts.dead.sql", "-- half\n");
    // Once it has run out, the next run takes over.
    expect((await runBackup(env, now + 11 * 60_000, { maxPages: 100_000 })).status).toBe("complete");
    expect(await env.BACKUPS.head("backups/2031-08-08/0001-accounts.dead.sql")).toBeNull();
  });

  it("retention deletes only backups older than BACKUP_RETENTION_DAYS, never the newest complete one", async () => {
    await clearBucket();
    const now = Date.parse("2031-10-20T02:30:00Z");
    const put = (date: string, status: "complete" | "running") =>
      Promise.all([
        env.BACKUPS.put(`backups/${date}/manifest.json`, JSON.stringify({ format: 1, date, status, tables: [], parts: [] })),
        env.BACKUPS.put(`backups/${date}/0000-schema.x.sql`, "-- x\n"),
      ]);
    // Retention 30 days (wrangler.toml): the cut-off is 2031-09-20.
    await put("2031-08-01", "complete");
    await put("2031-09-19", "complete");
    await put("2031-09-20", "complete");
    await put("2031-10-19", "complete");
    await env.BACKUPS.put("backups/not-a-date/keep.txt", "x");
    expect((await pruneBackups(env, now)).sort()).toEqual(["2031-08-01", "2031-09-19"]);
    const left = (await env.BACKUPS.list({ prefix: "backups/" })).objects.map((o) => o.key);
    expect(left.some((k) => k.startsWith("backups/2031-08-01/") || k.startsWith("backups/2031-09-19/"))).toBe(false);
    expect(left).toContain("backups/2031-09-20/manifest.json");
    expect(left).toContain("backups/2031-10-19/0000-schema.x.sql");
    expect(left).toContain("backups/not-a-date/keep.txt");

    // When backups stopped working long ago, the newest complete one stays whatever its age.
    await clearBucket();
    await put("2031-01-01", "complete");
    await put("2031-02-01", "complete");
    await put("2031-02-02", "running");
    expect(await pruneBackups(env, now)).toEqual(["2031-01-01", "2031-02-02"]);
    expect((await env.BACKUPS.list({ prefix: "backups/2031-02-01/" })).objects.length).toBe(2);
    // A shorter retention through the variable.
    await clearBucket();
    await put("2031-10-10", "complete");
    await put("2031-10-19", "complete");
    expect(await pruneBackups({ ...env, BACKUP_RETENTION_DAYS: "3" }, now)).toEqual(["2031-10-10"]);
  });

  it("operators list backups with sizes and download a complete one as one SQL file (audited); others cannot", async () => {
    await clearBucket();
    const now = Date.now();
    await runBackup(env, now, { start: true, maxPages: 100_000 });
    const date = dateOf(now);
    const operator = await signInWithRoles(["operator"]);
    const listed = await call("GET", "/v1/admin/backups", { token: operator.token });
    expect(listed.status).toBe(200);
    expect(listed.body.retentionDays).toBe(30);
    const item = listed.body.items.find((i: { date: string }) => i.date === date);
    const m = await manifest(date);
    expect(item).toMatchObject({ status: "complete", tables: m.tables.length, bytes: m.parts.reduce((n, p) => n + p.bytes, 0) });

    const res = await worker.fetch(
      new Request(`http://x/v1/admin/backups/${date}/download`, { headers: { Authorization: `Bearer ${operator.token}` } }),
      env,
      { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Disposition")).toContain(`doorstep-d1-${date}.sql`);
    const text = new TextDecoder().decode(await res.arrayBuffer());
    const parts = await Promise.all(m.parts.map(async (p) => (await env.BACKUPS.get(p.key))!.text()));
    expect(text).toBe(parts.join(""));
    expect(await auditActions(date)).toContain("backup.download");

    const customer = await signIn();
    expectProblem(await call("GET", "/v1/admin/backups", { token: customer.token }), 403);
    expectProblem(await call("GET", `/v1/admin/backups/${date}/download`, { token: customer.token }), 403);
    const merchantAdmin = await signInWithRoles(["merchant_admin"], null);
    expectProblem(await call("GET", "/v1/admin/backups", { token: merchantAdmin.token }), 403);
    expectProblem(await call("GET", "/v1/admin/backups/2000-01-01/download", { token: operator.token }), 404, "NOT_FOUND");
    expectProblem(await call("GET", "/v1/admin/backups/not-a-date/download", { token: operator.token }), 400);
  });

  it("refuses to download a backup still being written (409 BACKUP_INCOMPLETE)", async () => {
    await clearBucket();
    const now = Date.parse("2031-11-11T02:30:00Z");
    await runBackup(env, now, { start: true, pageRows: 5, maxPages: 1 });
    const operator = await signInWithRoles(["operator"]);
    expectProblem(await call("GET", "/v1/admin/backups/2031-11-11/download", { token: operator.token }), 409, "BACKUP_INCOMPLETE");
    const listed = await call("GET", "/v1/admin/backups", { token: operator.token });
    expect(listed.body.items[0]).toMatchObject({ date: "2031-11-11", status: "running" });
  });
});
