// Renaming cities and skills (operators; audited; the rest of the record stays).
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { uniqueWord } from "../support/catalog";
import { freshCenter } from "../support/fixtures";
import { call, expectProblem, signIn, signInAdmin, signInWithRoles } from "../support/http";

const audited = async (action: string, target: string) =>
  (
    await env.DB.prepare("SELECT data FROM audit_log WHERE action = ? AND target_id = ? ORDER BY seq")
      .bind(action, target)
      .all<{ data: string }>()
  ).results.map((r) => JSON.parse(r.data));

describe("PATCH /v1/admin/cities/{id}", () => {
  it("renames a city and keeps its cells and time zone; refuses bad names, unknown cities and non-operators", async () => {
    const admin = await signInAdmin();
    const made = await call("POST", "/v1/admin/cities", {
      token: admin.token,
      body: { name: "Old Name", timeZone: "Asia/Shanghai", center: freshCenter(), radiusKm: 10 },
    });
    expect(made.status).toBe(201);
    const city = made.body;
    const res = await call("PATCH", `/v1/admin/cities/${city.id}`, { token: admin.token, body: { name: " 新名字 " } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...city, name: "新名字" });
    const listed = (await call("GET", "/v1/cities")).body.items.find((c: { id: string }) => c.id === city.id);
    expect(listed.name).toBe("新名字");
    expect(await audited("city.update", city.id)).toEqual([{ name: "新名字" }]);

    const empty = await call("PATCH", `/v1/admin/cities/${city.id}`, {
      token: admin.token,
      body: { name: "  " },
      headers: { "Accept-Language": "en" },
    });
    expectProblem(empty, 400, "VALIDATION_FAILED");
    expect(empty.body.errors[0].path).toBe("body.name");
    expectProblem(
      await call("PATCH", `/v1/admin/cities/${city.id}`, { token: admin.token, body: { name: "X", timeZone: "UTC" } }),
      400,
      "VALIDATION_FAILED",
    );
    expectProblem(await call("PATCH", "/v1/admin/cities/cty_missing", { token: admin.token, body: { name: "X" } }), 404, "NOT_FOUND");
    expectProblem(
      await call("PATCH", `/v1/admin/cities/${city.id}`, { token: (await signInWithRoles(["merchant_admin"])).token, body: { name: "X" } }),
      403,
    );
    expect((await call("GET", "/v1/cities")).body.items.find((c: { id: string }) => c.id === city.id).name).toBe("新名字");
  });
});

describe("PATCH /v1/admin/skills/{code}", () => {
  it("renames a skill (code kept), audits create and rename; 404 unknown, 400 invalid, 403 others", async () => {
    const admin = await signInAdmin();
    const code = uniqueWord("sk_");
    expect((await call("POST", "/v1/admin/skills", { token: admin.token, body: { code, name: { zh: "旧", en: "Old" } } })).status).toBe(
      201,
    );
    const res = await call("PATCH", `/v1/admin/skills/${code}`, { token: admin.token, body: { name: { zh: "新", en: "New" } } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ code, name: { zh: "新", en: "New" } });
    const listed = (await call("GET", "/v1/skills")).body.items.find((s: { code: string }) => s.code === code);
    expect(listed.name).toEqual({ zh: "新", en: "New" });
    expect(await audited("skill.create", code)).toEqual([{ name: { zh: "旧", en: "Old" } }]);
    expect(await audited("skill.update", code)).toEqual([{ name: { zh: "新", en: "New" } }]);

    expectProblem(
      await call("PATCH", `/v1/admin/skills/${code}`, { token: admin.token, body: { name: { zh: "新" } } }),
      400,
      "VALIDATION_FAILED",
    );
    expectProblem(
      await call("PATCH", `/v1/admin/skills/${code}`, { token: admin.token, body: { code: "x", name: { zh: "a", en: "b" } } }),
      400,
    );
    expectProblem(await call("PATCH", "/v1/admin/skills/sk_nope_zz", { token: admin.token, body: { name: { zh: "a", en: "b" } } }), 404);
    expectProblem(
      await call("PATCH", `/v1/admin/skills/${code}`, { token: (await signIn()).token, body: { name: { zh: "a", en: "b" } } }),
      403,
    );
    expect((await call("GET", "/v1/skills")).body.items.find((s: { code: string }) => s.code === code).name.en).toBe("New");
  });
});
