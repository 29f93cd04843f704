import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, expectProblem, signIn, signInAdmin } from "../support/http";
import { freshCenter } from "../support/fixtures";
import { getDb } from "../../src/db/client";
import { appendAudit } from "../../src/db/repositories/audit.repo";
import { countingEnv } from "../support/counting";
import { d1Plan, statementsOf, tableScans } from "../support/plans";

describe("GET /v1/admin/audit", () => {
  it("lists sensitive actions newest first, each verified against the hash chain", async () => {
    const admin = await signInAdmin();
    await call("POST", "/v1/admin/cities", {
      token: admin.token,
      body: { name: "Audit City", timeZone: "UTC", center: freshCenter(), radiusKm: 10 },
    });
    const res = await call("GET", "/v1/admin/audit?limit=5", { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body.items[0]).toMatchObject({ action: "city.create", verified: true });
    expect(res.body.items.every((e: { verified: boolean }) => e.verified)).toBe(true);
    const seqs = res.body.items.map((e: { seq: number }) => e.seq);
    expect([...seqs].sort((a, b) => b - a)).toEqual(seqs);
  });

  it("flags an entry whose content was changed after the fact", async () => {
    const admin = await signInAdmin();
    await call("POST", "/v1/admin/cities", {
      token: admin.token,
      body: { name: "Tamper City", timeZone: "UTC", center: freshCenter(), radiusKm: 10 },
    });
    const { seq } = (await env.DB.prepare("SELECT max(seq) AS seq FROM audit_log").first<{ seq: number }>())!;
    await env.DB.prepare('UPDATE audit_log SET data = \'{"name":"forged"}\' WHERE seq = ?').bind(seq).run();
    const res = await call("GET", "/v1/admin/audit?limit=1", { token: admin.token });
    expect(res.body.items[0]).toMatchObject({ seq, verified: false });
  });

  it("takes many concurrent sensitive actions, each once, in one unbroken chain", async () => {
    const admin = await signInAdmin();
    const before = (await env.DB.prepare("SELECT count(*) AS n FROM audit_log").first<{ n: number }>())!.n;
    const made = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call("POST", "/v1/admin/cities", {
          token: admin.token,
          body: { name: `Busy City ${i}`, timeZone: "UTC", center: freshCenter(), radiusKm: 5 },
        }),
      ),
    );
    expect(made.map((r) => r.status)).toEqual(Array(20).fill(201));
    const { results } = await env.DB.prepare("SELECT seq, prev_hash, hash FROM audit_log ORDER BY seq").all<{
      seq: number;
      prev_hash: string | null;
      hash: string | null;
    }>();
    expect(results).toHaveLength(before + 20);
    // every entry sealed, each linked to the one before it
    results.forEach((r, i) => {
      expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(r.prev_hash).toBe(i === 0 ? "0".repeat(64) : results[i - 1]!.hash);
    });
    const page = await call("GET", "/v1/admin/audit?limit=20", { token: admin.token });
    expect(page.body.items.map((e: { action: string }) => e.action)).toEqual(Array(20).fill("city.create"));
    expect(page.body.items.every((e: { verified: boolean }) => e.verified)).toBe(true);
  });

  it("seals an entry whose seal never ran before showing it", async () => {
    const admin = await signInAdmin();
    await env.DB.prepare(
      "INSERT INTO audit_log (at, actor_id, action, target_type, target_id, data) VALUES (?, 'acc_x', 'test.unsealed', 'thing', 't1', '{}')",
    )
      .bind(Date.now())
      .run();
    const res = await call("GET", "/v1/admin/audit?limit=1", { token: admin.token });
    expect(res.body.items[0]).toMatchObject({ action: "test.unsealed", verified: true });
    expect(res.body.items[0].hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("finds the entries to seal through audit_log_unsealed_idx, without reading the sealed chain", async () => {
    // A long sealed chain already there (the hashes are not checked here, only what sealing reads).
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
       INSERT INTO audit_log (at, actor_id, action, target_type, target_id, data, prev_hash, hash)
       SELECT 0, NULL, 'test.history', 'test', 'history', '{}', 'p' || i, 'h' || i FROM n`,
    ).run();
    try {
      const { env: counted, counts } = countingEnv();
      await appendAudit(getDb(counted), { actorId: null, action: "test.plan", targetType: "test", targetId: "plan" });
      const statements = statementsOf(counts.sql).filter((s) => s.includes('from "audit_log"'));
      for (const s of statements) expect(tableScans(await d1Plan(s), ["audit_log"])).toEqual([]);
      const pending = statements.find((s) => s.includes('"audit_log"."hash" is null'))!;
      expect(await d1Plan(pending)).toEqual(["SCAN audit_log USING INDEX audit_log_unsealed_idx"]);
      // Run as sealing runs it: the 2,000 sealed entries are not read.
      const { meta } = await env.DB.prepare(pending).bind(50).all();
      expect(meta.rows_read).toBeLessThanOrEqual(1);
    } finally {
      // The made-up chain goes again, so the other tests of this file see only real entries.
      await env.DB.prepare("DELETE FROM audit_log WHERE action IN ('test.history', 'test.plan')").run();
    }
  });

  it("is for admins only and rejects a bad cursor", async () => {
    expectProblem(await call("GET", "/v1/admin/audit"), 401);
    expectProblem(await call("GET", "/v1/admin/audit", { token: (await signIn()).token }), 403);
    expectProblem(await call("GET", "/v1/admin/audit?cursor=abc", { token: (await signInAdmin()).token }), 400, "INVALID_CURSOR");
  });
});
