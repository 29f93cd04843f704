import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { cellCenter, cellOf } from "../../src/domain/geo";
import { auditActions, createCity, insertMerchant, insertSkill, type TestCity } from "../support/fixtures";
import { call, expectProblem, signIn, signInAdmin, signInWithRoles, uniquePhone, type Session } from "../support/http";

const MASKED = /^\+86159\*{4}\d{4}$/;

let admin: Session;
let skill: string;

beforeAll(async () => {
  admin = await signInAdmin();
  skill = await insertSkill();
});

function body(city: TestCity, overrides: Record<string, unknown> = {}) {
  return { phone: uniquePhone(), name: "李师傅", skills: [skill], home: city.center, ...overrides };
}

async function register(token: string, city: TestCity, overrides: Record<string, unknown> = {}) {
  const res = await call("POST", "/v1/admin/technicians", { token, body: body(city, overrides) });
  if (res.status !== 201) throw new Error(`registration failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function count(table: "technicians" | "accounts" | "audit_log"): Promise<number> {
  const row = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table}`).first<{ n: number }>();
  return row!.n;
}

async function statusOf(id: string): Promise<string | undefined> {
  const row = await env.DB.prepare("SELECT status FROM technicians WHERE id = ?").bind(id).first<{ status: string }>();
  return row?.status;
}

describe("POST /v1/admin/technicians", () => {
  it("registers a pending technician in the city of its home and grants the account the technician role", async () => {
    const city = await createCity(admin.token);
    const merchantId = await insertMerchant();
    const phone = uniquePhone();
    const res = await call("POST", "/v1/admin/technicians", {
      token: admin.token,
      body: { phone, name: "张师傅", merchantId, skills: [skill], home: city.center },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: "张师傅",
      merchantId,
      skills: [skill],
      home: city.center,
      homeCell: cellOf(city.center, 5),
      cityId: city.id,
      serviceRadiusKm: 10,
      status: "pending",
      rating: 5,
      ratingCount: 0,
    });
    expect(res.body.id).toMatch(/^tch_/);
    expect(res.body.phone).toBe(`+86159****${phone.slice(-4)}`);
    expect(new Date(res.body.createdAt).toISOString()).toBe(res.body.createdAt);

    const technician = await signIn(phone);
    expect(technician.accountId).toBe(res.body.accountId);
    expect(technician.roles).toEqual(["customer", "technician"]);
    const me = await call("GET", "/v1/me", { token: technician.token });
    expect(me.body.technician).toMatchObject({ id: res.body.id, status: "pending", homeCell: res.body.homeCell });
    expect(await auditActions(res.body.id)).toEqual(["technician.create"]);
    expect(await auditActions(res.body.accountId)).toEqual(["account.roles.grant"]);
  });

  it("turns an existing customer (phone given as 11 bare digits) into a technician, keeping the account", async () => {
    const city = await createCity(admin.token);
    const customer = await signIn();
    const created = await register(admin.token, city, { phone: customer.phone.slice(3), serviceRadiusKm: 25 });
    expect(created.accountId).toBe(customer.accountId);
    expect(created.merchantId).toBeNull();
    expect(created.serviceRadiusKm).toBe(25);
  });

  it("registers a merchant_admin's technician under its own merchant by default", async () => {
    const city = await createCity(admin.token);
    const merchantId = await insertMerchant();
    const merchantAdmin = await signInWithRoles(["merchant_admin"], merchantId);
    expect((await register(merchantAdmin.token, city)).merchantId).toBe(merchantId);
    expect((await register(merchantAdmin.token, city, { merchantId })).merchantId).toBe(merchantId);
  });

  it("answers 404 for another merchant's id (merchant_admin) or an unknown merchant, creating nothing", async () => {
    const city = await createCity(admin.token);
    const own = await insertMerchant();
    const other = await insertMerchant();
    const merchantAdmin = await signInWithRoles(["merchant_admin"], own);
    const [technicians, accounts] = [await count("technicians"), await count("accounts")];
    expectProblem(
      await call("POST", "/v1/admin/technicians", { token: merchantAdmin.token, body: body(city, { merchantId: other }) }),
      404,
    );
    expectProblem(
      await call("POST", "/v1/admin/technicians", { token: admin.token, body: body(city, { merchantId: "mer_missing" }) }),
      404,
    );
    expect([await count("technicians"), await count("accounts")]).toEqual([technicians, accounts]);
  });

  it("refuses a home outside every city with 400 HOME_OUTSIDE_CITIES at body.home, creating nothing", async () => {
    const city = await createCity(admin.token);
    const [technicians, accounts] = [await count("technicians"), await count("accounts")];
    const res = await call("POST", "/v1/admin/technicians", { token: admin.token, body: body(city, { home: { lat: -80, lng: 10 } }) });
    expectProblem(res, 400, "HOME_OUTSIDE_CITIES");
    expect(res.body.errors).toEqual([{ path: "body.home", message: expect.any(String) }]);
    expect([await count("technicians"), await count("accounts")]).toEqual([technicians, accounts]);
  });

  it("lists every unknown skill with 400 UNKNOWN_SKILL, creating nothing", async () => {
    const city = await createCity(admin.token);
    const technicians = await count("technicians");
    const res = await call("POST", "/v1/admin/technicians", {
      token: admin.token,
      body: body(city, { skills: [skill, "no.such.skill", skill, "nor.this"] }),
    });
    expectProblem(res, 400, "UNKNOWN_SKILL");
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(["body.skills.1", "body.skills.3"]);
    expect(await count("technicians")).toBe(technicians);
  });

  it("rejects malformed input with 400, creating nothing", async () => {
    const city = await createCity(admin.token);
    const [technicians, accounts] = [await count("technicians"), await count("accounts")];
    const cases: [Record<string, unknown>, string, string][] = [
      [{ phone: "12345" }, "INVALID_PHONE", "body.phone"],
      [{ serviceRadiusKm: 101 }, "VALIDATION_FAILED", "body.serviceRadiusKm"],
      [{ serviceRadiusKm: 0 }, "VALIDATION_FAILED", "body.serviceRadiusKm"],
      [{ skills: [] }, "VALIDATION_FAILED", "body.skills"],
      [{ name: "  " }, "VALIDATION_FAILED", "body.name"],
      [{ home: { lat: 91, lng: 0 } }, "VALIDATION_FAILED", "body.home.lat"],
      [{ status: "approved" }, "VALIDATION_FAILED", "body"],
    ];
    for (const [overrides, code, path] of cases) {
      const res = await call("POST", "/v1/admin/technicians", { token: admin.token, body: body(city, overrides) });
      expectProblem(res, 400, code);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    expect([await count("technicians"), await count("accounts")]).toEqual([technicians, accounts]);
  });

  it("refuses a phone that already is a technician with 409 TECHNICIAN_EXISTS, whatever its format", async () => {
    const city = await createCity(admin.token);
    const phone = uniquePhone();
    await register(admin.token, city, { phone });
    const technicians = await count("technicians");
    expectProblem(
      await call("POST", "/v1/admin/technicians", { token: admin.token, body: body(city, { phone }) }),
      409,
      "TECHNICIAN_EXISTS",
    );
    expectProblem(
      await call("POST", "/v1/admin/technicians", { token: admin.token, body: body(city, { phone: phone.slice(3) }) }),
      409,
      "TECHNICIAN_EXISTS",
    );
    expect(await count("technicians")).toBe(technicians);
  });

  it("registers one technician when the same phone is submitted concurrently", async () => {
    const city = await createCity(admin.token);
    const phone = uniquePhone();
    const results = await Promise.all(
      Array.from({ length: 6 }, () => call("POST", "/v1/admin/technicians", { token: admin.token, body: body(city, { phone }) })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of results.filter((r) => r.status !== 201)) expectProblem(r, 409, "TECHNICIAN_EXISTS");
  });

  it("needs a token (401) and an operator or merchant_admin role (403)", async () => {
    const city = await createCity(admin.token);
    expectProblem(await call("POST", "/v1/admin/technicians", { body: body(city) }), 401);
    const customer = await signIn();
    expectProblem(await call("POST", "/v1/admin/technicians", { token: customer.token, body: body(city) }), 403, "FORBIDDEN");
    const technician = await signInWithRoles(["technician"]);
    expectProblem(await call("POST", "/v1/admin/technicians", { token: technician.token, body: body(city) }), 403, "FORBIDDEN");
  });
});

describe("POST /v1/admin/technicians/{id}/approve and /reject", () => {
  it("approves a pending technician once; a second approval is 409 INVALID_TRANSITION", async () => {
    const city = await createCity(admin.token);
    const t = await register(admin.token, city);
    const res = await call("POST", `/v1/admin/technicians/${t.id}/approve`, { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: t.id, status: "approved" });
    const again = await call("POST", `/v1/admin/technicians/${t.id}/approve`, { token: admin.token });
    expectProblem(again, 409, "INVALID_TRANSITION");
    expect(await auditActions(t.id)).toEqual(["technician.create", "technician.approve"]);
  });

  it("rejects a pending technician with a reason, recorded in the audit log; only pending ones", async () => {
    const city = await createCity(admin.token);
    const t = await register(admin.token, city);
    const res = await call("POST", `/v1/admin/technicians/${t.id}/reject`, { token: admin.token, body: { reason: "证件不全" } });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("rejected");
    const audit = await env.DB.prepare("SELECT data FROM audit_log WHERE target_id = ? AND action = 'technician.reject'")
      .bind(t.id)
      .first<{ data: string }>();
    expect(JSON.parse(audit!.data)).toEqual({ status: "rejected", reason: "证件不全" });
    expectProblem(
      await call("POST", `/v1/admin/technicians/${t.id}/reject`, { token: admin.token, body: { reason: "x" } }),
      409,
      "INVALID_TRANSITION",
    );

    const approved = await register(admin.token, city);
    await call("POST", `/v1/admin/technicians/${approved.id}/approve`, { token: admin.token });
    const late = await call("POST", `/v1/admin/technicians/${approved.id}/reject`, { token: admin.token, body: { reason: "x" } });
    expectProblem(late, 409, "INVALID_TRANSITION");
    expect(await statusOf(approved.id)).toBe("approved");
  });

  it("reconsiders a rejected technician: approve works from rejected", async () => {
    const city = await createCity(admin.token);
    const t = await register(admin.token, city);
    await call("POST", `/v1/admin/technicians/${t.id}/reject`, { token: admin.token, body: { reason: "照片模糊" } });
    const res = await call("POST", `/v1/admin/technicians/${t.id}/approve`, { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("approved");
  });

  it("refuses a suspended technician either way with 409 INVALID_TRANSITION", async () => {
    const city = await createCity(admin.token);
    const t = await register(admin.token, city);
    await env.DB.prepare("UPDATE technicians SET status = 'suspended' WHERE id = ?").bind(t.id).run();
    expectProblem(await call("POST", `/v1/admin/technicians/${t.id}/approve`, { token: admin.token }), 409, "INVALID_TRANSITION");
    expectProblem(
      await call("POST", `/v1/admin/technicians/${t.id}/reject`, { token: admin.token, body: { reason: "x" } }),
      409,
      "INVALID_TRANSITION",
    );
    expect(await statusOf(t.id)).toBe("suspended");
  });

  it("approves exactly once under concurrent decisions", async () => {
    const city = await createCity(admin.token);
    const t = await register(admin.token, city);
    const results = await Promise.all([
      ...Array.from({ length: 3 }, () => call("POST", `/v1/admin/technicians/${t.id}/approve`, { token: admin.token })),
      ...Array.from({ length: 3 }, () =>
        call("POST", `/v1/admin/technicians/${t.id}/reject`, { token: admin.token, body: { reason: "x" } }),
      ),
    ]);
    // Either one approval wins, or a rejection wins and one approval then reconsiders it.
    const ok = results.filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(ok.length).toBeLessThanOrEqual(2);
    expect(ok.filter((r) => r.body.status === "approved")).toHaveLength(1);
    for (const r of results.filter((r) => r.status !== 200)) expectProblem(r, 409, "INVALID_TRANSITION");
    expect(await statusOf(t.id)).toBe("approved");
  });

  it("requires a reason to reject (400), leaving the technician pending", async () => {
    const city = await createCity(admin.token);
    const t = await register(admin.token, city);
    for (const reject of [{}, { reason: "" }, { reason: "x".repeat(501) }, { reason: "ok", extra: 1 }]) {
      expectProblem(
        await call("POST", `/v1/admin/technicians/${t.id}/reject`, { token: admin.token, body: reject }),
        400,
        "VALIDATION_FAILED",
      );
    }
    expect(await statusOf(t.id)).toBe("pending");
  });

  it("lets a merchant_admin decide for its own technicians only: another merchant's are 404 and stay pending", async () => {
    const city = await createCity(admin.token);
    const [merchantA, merchantB] = [await insertMerchant("A"), await insertMerchant("B")];
    const adminA = await signInWithRoles(["merchant_admin"], merchantA);
    const adminB = await signInWithRoles(["merchant_admin"], merchantB);
    const ofA = await register(adminA.token, city);
    const ofA2 = await register(adminA.token, city);
    expectProblem(await call("POST", `/v1/admin/technicians/${ofA.id}/approve`, { token: adminB.token }), 404);
    expectProblem(await call("POST", `/v1/admin/technicians/${ofA.id}/reject`, { token: adminB.token, body: { reason: "x" } }), 404);
    expect(await statusOf(ofA.id)).toBe("pending");
    expect((await call("POST", `/v1/admin/technicians/${ofA.id}/approve`, { token: adminA.token })).body.status).toBe("approved");
    expect(
      (await call("POST", `/v1/admin/technicians/${ofA2.id}/reject`, { token: adminA.token, body: { reason: "x" } })).body.status,
    ).toBe("rejected");
  });

  it("answers 404 for an unknown technician, 401 without a token and 403 for a customer", async () => {
    const city = await createCity(admin.token);
    const t = await register(admin.token, city);
    expectProblem(await call("POST", "/v1/admin/technicians/tch_missing/approve", { token: admin.token }), 404);
    expectProblem(await call("POST", "/v1/admin/technicians/tch_missing/reject", { token: admin.token, body: { reason: "x" } }), 404);
    expectProblem(await call("POST", `/v1/admin/technicians/${t.id}/approve`), 401);
    const customer = await signIn();
    expectProblem(await call("POST", `/v1/admin/technicians/${t.id}/approve`, { token: customer.token }), 403, "FORBIDDEN");
    expectProblem(
      await call("POST", `/v1/admin/technicians/${t.id}/reject`, { token: customer.token, body: { reason: "x" } }),
      403,
      "FORBIDDEN",
    );
    expect(await statusOf(t.id)).toBe("pending");
  });
});

describe("GET /v1/admin/technicians", () => {
  it("filters by city, home cell and status, with masked phones", async () => {
    const city = await createCity(admin.token);
    const [cellA, cellB] = [city.cells[0]!, city.cells[city.cells.length - 1]!];
    const a = await register(admin.token, city, { home: cellCenter(cellA) });
    const b = await register(admin.token, city, { home: cellCenter(cellB) });
    await call("POST", `/v1/admin/technicians/${b.id}/approve`, { token: admin.token });

    const all = await call("GET", `/v1/admin/technicians?city=${city.id}`, { token: admin.token });
    expect(all.status).toBe(200);
    expect(all.body.items.map((t: { id: string }) => t.id)).toEqual([a.id, b.id]);
    expect(all.body.nextCursor).toBeNull();
    for (const t of all.body.items) expect(t.phone).toMatch(MASKED);

    const inCell = await call("GET", `/v1/admin/technicians?city=${city.id}&cell=${cellB}`, { token: admin.token });
    expect(inCell.body.items.map((t: { id: string }) => t.id)).toEqual([b.id]);
    const pending = await call("GET", `/v1/admin/technicians?city=${city.id}&status=pending`, { token: admin.token });
    expect(pending.body.items.map((t: { id: string }) => t.id)).toEqual([a.id]);
  });

  it("pages with limit and cursor without repeating or skipping", async () => {
    const city = await createCity(admin.token);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await register(admin.token, city)).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { items: { id: string }[]; nextCursor: string | null } } = await call(
        "GET",
        `/v1/admin/technicians?city=${city.id}&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
        { token: admin.token },
      );
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((t) => t.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids);
  });

  it("shows a merchant_admin only its own merchant's technicians", async () => {
    const city = await createCity(admin.token);
    const [merchantA, merchantB] = [await insertMerchant("A"), await insertMerchant("B")];
    const adminA = await signInWithRoles(["merchant_admin"], merchantA);
    const ofA = await register(admin.token, city, { merchantId: merchantA });
    await register(admin.token, city, { merchantId: merchantB });
    await register(admin.token, city);
    const res = await call("GET", `/v1/admin/technicians?city=${city.id}`, { token: adminA.token });
    expect(res.body.items.map((t: { id: string }) => t.id)).toEqual([ofA.id]);
    const everyCity = await call("GET", "/v1/admin/technicians?limit=100", { token: adminA.token });
    expect(everyCity.body.items.map((t: { id: string }) => t.id)).toEqual([ofA.id]);
  });

  it("rejects an invalid status, limit or cursor with 400", async () => {
    expectProblem(await call("GET", "/v1/admin/technicians?status=retired", { token: admin.token }), 400, "VALIDATION_FAILED");
    expectProblem(await call("GET", "/v1/admin/technicians?limit=0", { token: admin.token }), 400, "VALIDATION_FAILED");
    expectProblem(await call("GET", "/v1/admin/technicians?limit=101", { token: admin.token }), 400, "VALIDATION_FAILED");
    expectProblem(await call("GET", "/v1/admin/technicians?cursor=%25%25", { token: admin.token }), 400, "INVALID_CURSOR");
  });

  it("needs a token (401) and an operator or merchant_admin role (403)", async () => {
    expectProblem(await call("GET", "/v1/admin/technicians"), 401);
    const customer = await signIn();
    expectProblem(await call("GET", "/v1/admin/technicians", { token: customer.token }), 403, "FORBIDDEN");
    const unattached = await signInWithRoles(["merchant_admin"], null);
    expectProblem(await call("GET", "/v1/admin/technicians", { token: unattached.token }), 403, "FORBIDDEN");
  });
});

describe("GET /v1/admin/technicians/{id}", () => {
  it("returns one technician to an operator and to its merchant's admin", async () => {
    const city = await createCity(admin.token);
    const merchantId = await insertMerchant();
    const merchantAdmin = await signInWithRoles(["merchant_admin"], merchantId);
    const t = await register(admin.token, city, { merchantId });
    const byOperator = await call("GET", `/v1/admin/technicians/${t.id}`, { token: admin.token });
    expect(byOperator.status).toBe(200);
    expect(byOperator.body).toEqual(t);
    const byMerchant = await call("GET", `/v1/admin/technicians/${t.id}`, { token: merchantAdmin.token });
    expect(byMerchant.body).toEqual(t);
  });

  it("answers 404 for another merchant's technician and for an unknown id", async () => {
    const city = await createCity(admin.token);
    const [merchantA, merchantB] = [await insertMerchant("A"), await insertMerchant("B")];
    const adminB = await signInWithRoles(["merchant_admin"], merchantB);
    const ofA = await register(admin.token, city, { merchantId: merchantA });
    const platform = await register(admin.token, city);
    const res = await call("GET", `/v1/admin/technicians/${ofA.id}`, { token: adminB.token });
    expectProblem(res, 404);
    expect(JSON.stringify(res.body)).not.toContain(ofA.name);
    expectProblem(await call("GET", `/v1/admin/technicians/${platform.id}`, { token: adminB.token }), 404);
    expectProblem(await call("GET", "/v1/admin/technicians/tch_missing", { token: admin.token }), 404);
  });

  it("needs a token (401) and an operator or merchant_admin role (403)", async () => {
    const city = await createCity(admin.token);
    const t = await register(admin.token, city);
    expectProblem(await call("GET", `/v1/admin/technicians/${t.id}`), 401);
    const customer = await signIn();
    expectProblem(await call("GET", `/v1/admin/technicians/${t.id}`, { token: customer.token }), 403, "FORBIDDEN");
  });
});
