import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, expectProblem, signIn, signInAdmin } from "../support/http";
import { freshCenter } from "../support/fixtures";

describe("GET /v1/admin/audit", () => {
  it("lists sensitive actions newest first, each verified against the hash chain", async () => {
    const admin = await signInAdmin();
    await call("POST", "/v1/admin/cities", {
      token: admin.token,
      body: { name: "Audit City", timeZone: "UTC", center: freshCenter(-45, -40), radiusKm: 10 },
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
      body: { name: "Tamper City", timeZone: "UTC", center: freshCenter(-45, -40), radiusKm: 10 },
    });
    const { seq } = (await env.DB.prepare("SELECT max(seq) AS seq FROM audit_log").first<{ seq: number }>())!;
    await env.DB.prepare('UPDATE audit_log SET data = \'{"name":"forged"}\' WHERE seq = ?').bind(seq).run();
    const res = await call("GET", "/v1/admin/audit?limit=1", { token: admin.token });
    expect(res.body.items[0]).toMatchObject({ seq, verified: false });
  });

  it("is for admins only and rejects a bad cursor", async () => {
    expectProblem(await call("GET", "/v1/admin/audit"), 401);
    expectProblem(await call("GET", "/v1/admin/audit", { token: (await signIn()).token }), 403);
    expectProblem(await call("GET", "/v1/admin/audit?cursor=abc", { token: (await signInAdmin()).token }), 400, "INVALID_CURSOR");
  });
});
