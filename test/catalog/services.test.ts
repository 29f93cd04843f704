import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client";
import { insertService, type ServiceRow } from "../../src/db/repositories/services.repo";
import { createCategory, createMerchant, createSkill, serviceBody, signInMerchantAdmin } from "../support/catalog";
import { createCity, type TestCity } from "../support/fixtures";
import { call, expectProblem, signIn, signInAdmin, type Session } from "../support/http";

let admin: Session;
let city: TestCity;
let categoryId: string;
let skill: string;

beforeAll(async () => {
  admin = await signInAdmin();
  city = await createCity(admin.token);
  categoryId = await createCategory(admin);
  skill = await createSkill(admin);
});

const body = (overrides: Record<string, unknown> = {}) =>
  serviceBody({ categoryId, cityIds: [city.id], requiredSkills: [skill] }, overrides);

async function create(token: string, overrides: Record<string, unknown> = {}) {
  const res = await call("POST", "/v1/admin/services", { token, body: body(overrides) });
  if (res.status !== 201) throw new Error(`service failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function servicesOf(token: string, merchantId: string): Promise<string[]> {
  const res = await call("GET", `/v1/admin/services?merchantId=${merchantId}&limit=100`, { token });
  expect(res.status).toBe(200);
  return res.body.items.map((s: { id: string }) => s.id);
}

describe("creating services", () => {
  it("an operator creates a platform service; money comes back as Money, defaults filled in", async () => {
    const b = body();
    const res = await call("POST", "/v1/admin/services", { token: admin.token, body: b });
    expect(res.status).toBe(201);
    const cny = (amount: number) => ({ amount, currency: "CNY" });
    expect(res.body).toMatchObject({
      merchantId: null,
      categoryId,
      name: b.name,
      description: b.description,
      price: { base: cny(5000), perUnit: cny(4000), unit: "hour", minUnits: 2 },
      durationMinutes: 120,
      perUnitMinutes: 60,
      requiredSkills: [skill],
      extras: [{ code: "fridge", name: { zh: "清洁冰箱", en: "Fridge cleaning" }, price: cny(3000), durationMinutes: 30 }],
      cancellationPolicy: { tiers: b.cancellationPolicy.tiers, visitFee: cny(2000) },
      dispatchMode: "auto",
      paymentOptions: { full: true, depositPercent: 30, afterService: false },
      rushFee: cny(1500),
      leadTimeMinutes: 120,
      horizonDays: 14,
      cityIds: [city.id],
      active: true,
    });
    expect(res.body.id).toMatch(/^svc_/);
    expect(res.body.updatedAt).toBe(res.body.createdAt);
    expect((await call("GET", `/v1/services/${res.body.id}`)).body).toEqual(res.body);
    expect((await call("GET", `/v1/admin/services/${res.body.id}`, { token: admin.token })).body).toEqual(res.body);
  });

  it("writes the service and its cities in one batch: a failing city insert leaves no service behind", async () => {
    const now = Date.now();
    const row: ServiceRow = {
      id: `svc_ATOMIC${now}`,
      merchantId: null,
      categoryId,
      nameZh: "原子",
      surcharges: {},
      nameEn: "Atomic",
      descriptionZh: "原子",
      descriptionEn: "Atomic",
      currency: "CNY",
      basePrice: 100,
      unitPrice: 0,
      unit: "visit",
      minUnits: 1,
      durationMinutes: 60,
      perUnitMinutes: 0,
      requiredSkills: [],
      extras: [],
      cancellationPolicy: { tiers: [], visitFee: 0 },
      dispatchMode: "auto",
      paymentOptions: { full: true, depositPercent: null, afterService: false },
      rushFee: 0,
      leadTimeMinutes: 120,
      horizonDays: 14,
      active: true,
      deletedAt: null,
      createdAt: now,
      updatedAt: now,
    };
    await expect(insertService(getDb(env), row, [city.id, "cty_missing"])).rejects.toThrow();
    const left = await env.DB.prepare("SELECT count(*) AS n FROM services WHERE id = ?").bind(row.id).first<{ n: number }>();
    expect(left?.n).toBe(0);
  });

  it("operators may assign any merchant; an unknown one is 400 UNKNOWN_MERCHANT", async () => {
    const merchantId = await createMerchant(admin);
    const svc = await create(admin.token, { merchantId });
    expect(svc.merchantId).toBe(merchantId);
    const res = await call("POST", "/v1/admin/services", { token: admin.token, body: body({ merchantId: "mch_missing" }) });
    expectProblem(res, 400, "UNKNOWN_MERCHANT");
    expect(res.body.errors[0].path).toBe("body.merchantId");
  });

  it("a merchant_admin's service is always its merchant's; naming another merchant is 404", async () => {
    const a = await createMerchant(admin);
    const b = await createMerchant(admin);
    const adminOfA = await signInMerchantAdmin(admin, a);
    expect((await create(adminOfA.token)).merchantId).toBe(a);
    expect((await create(adminOfA.token, { merchantId: a })).merchantId).toBe(a);
    expectProblem(await call("POST", "/v1/admin/services", { token: adminOfA.token, body: body({ merchantId: b }) }), 404);
    expectProblem(await call("POST", "/v1/admin/services", { token: adminOfA.token, body: body({ merchantId: null }) }), 404);
    expect(await servicesOf(admin.token, b)).toEqual([]);
    expect(await servicesOf(admin.token, a)).toHaveLength(2);
  });

  it("rejects policies that break the rules with precise paths, creating nothing", async () => {
    const merchantId = await createMerchant(admin);
    const cases: [Record<string, unknown>, string][] = [
      [
        {
          cancellationPolicy: {
            tiers: [
              { hoursBefore: 2, refundPercent: 100 },
              { hoursBefore: 24, refundPercent: 50 },
            ],
            visitFee: 0,
          },
        },
        "body.cancellationPolicy.tiers.1.hoursBefore",
      ],
      [
        {
          cancellationPolicy: {
            tiers: [
              { hoursBefore: 24, refundPercent: 50 },
              { hoursBefore: 2, refundPercent: 80 },
            ],
            visitFee: 0,
          },
        },
        "body.cancellationPolicy.tiers.1.refundPercent",
      ],
      [
        {
          cancellationPolicy: {
            tiers: [
              { hoursBefore: 24, refundPercent: 100 },
              { hoursBefore: 24, refundPercent: 50 },
            ],
            visitFee: 0,
          },
        },
        "body.cancellationPolicy.tiers.1.hoursBefore",
      ],
      [
        { cancellationPolicy: { tiers: [{ hoursBefore: 24, refundPercent: 101 }], visitFee: 0 } },
        "body.cancellationPolicy.tiers.0.refundPercent",
      ],
      [
        { cancellationPolicy: { tiers: [{ hoursBefore: -1, refundPercent: 100 }], visitFee: 0 } },
        "body.cancellationPolicy.tiers.0.hoursBefore",
      ],
      [{ cancellationPolicy: { tiers: [], visitFee: -1 } }, "body.cancellationPolicy.visitFee"],
      [{ paymentOptions: { full: false, depositPercent: null, afterService: false } }, "body.paymentOptions"],
      [{ paymentOptions: { full: true, depositPercent: 100, afterService: false } }, "body.paymentOptions.depositPercent"],
      [{ paymentOptions: { full: true, depositPercent: 0, afterService: false } }, "body.paymentOptions.depositPercent"],
      [
        {
          extras: [
            { code: "oven", name: { zh: "烤箱", en: "Oven" }, price: 100, durationMinutes: 10 },
            { code: "oven", name: { zh: "烤箱", en: "Oven" }, price: 200, durationMinutes: 10 },
          ],
        },
        "body.extras.1.code",
      ],
      [{ extras: [{ code: "oven", name: { zh: "烤箱", en: "Oven" }, price: -5, durationMinutes: 10 }] }, "body.extras.0.price"],
      [{ durationMinutes: 10 }, "body.durationMinutes"],
      [{ durationMinutes: 1441 }, "body.durationMinutes"],
      [{ perUnitMinutes: -1 }, "body.perUnitMinutes"],
      [{ price: { base: -1, perUnit: 0, unit: "hour", minUnits: 1 } }, "body.price.base"],
      [{ price: { base: 100.5, perUnit: 0, unit: "hour", minUnits: 1 } }, "body.price.base"],
      [{ price: { base: 100, perUnit: 0, unit: "hour", minUnits: 0 } }, "body.price.minUnits"],
      [{ price: { base: 100, perUnit: 0, unit: "day", minUnits: 1 } }, "body.price.unit"],
      [{ dispatchMode: "random" }, "body.dispatchMode"],
      [{ rushFee: -100 }, "body.rushFee"],
      [{ leadTimeMinutes: 10081 }, "body.leadTimeMinutes"],
      [{ horizonDays: 0 }, "body.horizonDays"],
      [{ horizonDays: 91 }, "body.horizonDays"],
      [{ cityIds: [] }, "body.cityIds"],
      [{ cityIds: [city.id, city.id] }, "body.cityIds.1"],
      [{ requiredSkills: [skill, skill] }, "body.requiredSkills.1"],
      [{ currency: "rmb" }, "body.currency"],
      [{ name: { zh: "只有中文" } }, "body.name.en"],
    ];
    for (const [overrides, path] of cases) {
      const res = await call("POST", "/v1/admin/services", { token: admin.token, body: body({ merchantId, ...overrides }) });
      expectProblem(res, 400, "VALIDATION_FAILED");
      expect(
        res.body.errors.map((e: { path: string }) => e.path),
        JSON.stringify(overrides),
      ).toContain(path);
    }
    const unknownField = await call("POST", "/v1/admin/services", { token: admin.token, body: body({ merchantId, deletedAt: 1 }) });
    expectProblem(unknownField, 400, "VALIDATION_FAILED");
    expect(unknownField.body.errors[0].path).toBe("body");
    expect(await servicesOf(admin.token, merchantId)).toEqual([]);
  });

  it("rejects unknown skills, cities and categories by name, creating nothing", async () => {
    const merchantId = await createMerchant(admin);
    const skills = await call("POST", "/v1/admin/services", {
      token: admin.token,
      body: body({ merchantId, requiredSkills: [skill, "no_such_skill"] }),
    });
    expectProblem(skills, 400, "UNKNOWN_SKILL");
    expect(skills.body.errors).toEqual([{ path: "body.requiredSkills.1", message: expect.stringContaining("no_such_skill") }]);
    const cities = await call("POST", "/v1/admin/services", {
      token: admin.token,
      body: body({ merchantId, cityIds: ["cty_missing", city.id] }),
    });
    expectProblem(cities, 400, "UNKNOWN_CITY");
    expect(cities.body.errors.map((e: { path: string }) => e.path)).toEqual(["body.cityIds.0"]);
    const category = await call("POST", "/v1/admin/services", {
      token: admin.token,
      body: body({ merchantId, categoryId: "cat_missing" }),
    });
    expectProblem(category, 400, "UNKNOWN_CATEGORY");
    expect(category.body.errors[0].path).toBe("body.categoryId");
    expect(await servicesOf(admin.token, merchantId)).toEqual([]);
  });
});

describe("changing and deleting services", () => {
  it("merges a partial change one level deep and replaces lists", async () => {
    const svc = await create(admin.token);
    const other = await createCity(admin.token);
    const res = await call("PATCH", `/v1/admin/services/${svc.id}`, {
      token: admin.token,
      body: {
        name: { en: "Renamed cleaning" },
        price: { base: 8800 },
        cancellationPolicy: { visitFee: 0 },
        paymentOptions: { afterService: true },
        cityIds: [other.id],
        dispatchMode: "grab",
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.name).toEqual({ zh: svc.name.zh, en: "Renamed cleaning" });
    expect(res.body.price).toEqual({ ...svc.price, base: { amount: 8800, currency: "CNY" } });
    expect(res.body.cancellationPolicy).toEqual({ tiers: svc.cancellationPolicy.tiers, visitFee: { amount: 0, currency: "CNY" } });
    expect(res.body.paymentOptions).toEqual({ full: true, depositPercent: 30, afterService: true });
    expect(res.body.cityIds).toEqual([other.id]);
    expect(res.body.dispatchMode).toBe("grab");
    expect(res.body.extras).toEqual(svc.extras);
    expect(res.body.createdAt).toBe(svc.createdAt);
    expect((await call("GET", `/v1/admin/services/${svc.id}`, { token: admin.token })).body).toEqual(res.body);
  });

  it("checks the merged result like a new service and changes nothing when it fails", async () => {
    const svc = await create(admin.token);
    const fridge = { code: "fridge", name: { zh: "清洁冰箱", en: "Fridge cleaning" }, price: 3000, durationMinutes: 30 };
    const attempts: [Record<string, unknown>, number, string, string][] = [
      [
        {
          cancellationPolicy: {
            tiers: [
              { hoursBefore: 1, refundPercent: 10 },
              { hoursBefore: 5, refundPercent: 0 },
            ],
          },
        },
        400,
        "VALIDATION_FAILED",
        "body.cancellationPolicy.tiers.1.hoursBefore",
      ],
      [{ paymentOptions: { full: false, depositPercent: null } }, 400, "VALIDATION_FAILED", "body.paymentOptions"],
      [{ price: { minUnits: 0 } }, 400, "VALIDATION_FAILED", "body.price.minUnits"],
      [{ extras: [fridge, { ...fridge, price: 1 }] }, 400, "VALIDATION_FAILED", "body.extras.1.code"],
      [{ requiredSkills: ["no_such_skill"] }, 400, "UNKNOWN_SKILL", "body.requiredSkills.0"],
      [{ cityIds: ["cty_missing"] }, 400, "UNKNOWN_CITY", "body.cityIds.0"],
      [{ categoryId: "cat_missing" }, 400, "UNKNOWN_CATEGORY", "body.categoryId"],
      [{ merchantId: null }, 400, "VALIDATION_FAILED", "body"],
      [{ cityIds: [] }, 400, "VALIDATION_FAILED", "body.cityIds"],
    ];
    for (const [patch, status, code, path] of attempts) {
      const res = await call("PATCH", `/v1/admin/services/${svc.id}`, { token: admin.token, body: patch });
      expectProblem(res, status, code);
      expect(
        res.body.errors.map((e: { path: string }) => e.path),
        JSON.stringify(patch),
      ).toContain(path);
    }
    expect((await call("GET", `/v1/admin/services/${svc.id}`, { token: admin.token })).body).toEqual(svc);
  });

  it("soft-deletes: gone from every read, 404 the second time", async () => {
    const svc = await create(admin.token);
    expect((await call("DELETE", `/v1/admin/services/${svc.id}`, { token: admin.token })).status).toBe(204);
    expectProblem(await call("GET", `/v1/services/${svc.id}`), 404);
    expectProblem(await call("GET", `/v1/admin/services/${svc.id}`, { token: admin.token }), 404);
    expectProblem(await call("PATCH", `/v1/admin/services/${svc.id}`, { token: admin.token, body: { active: true } }), 404);
    expectProblem(await call("DELETE", `/v1/admin/services/${svc.id}`, { token: admin.token }), 404);
    const row = await env.DB.prepare("SELECT deleted_at FROM services WHERE id = ?").bind(svc.id).first<{ deleted_at: number }>();
    expect(row?.deleted_at).toBeGreaterThan(0);
  });

  it("answers 404 for missing services", async () => {
    expectProblem(await call("GET", "/v1/services/svc_missing"), 404);
    expectProblem(await call("GET", "/v1/admin/services/svc_missing", { token: admin.token }), 404);
    expectProblem(await call("PATCH", "/v1/admin/services/svc_missing", { token: admin.token, body: { active: false } }), 404);
    expectProblem(await call("DELETE", "/v1/admin/services/svc_missing", { token: admin.token }), 404);
  });
});

describe("who may manage services", () => {
  it("a merchant_admin reaching another merchant's service gets 404 and changes nothing", async () => {
    const a = await createMerchant(admin);
    const b = await createMerchant(admin);
    const adminOfA = await signInMerchantAdmin(admin, a);
    const adminOfB = await signInMerchantAdmin(admin, b);
    const ofB = await create(adminOfB.token);
    const platform = await create(admin.token);
    for (const target of [ofB, platform]) {
      expectProblem(await call("GET", `/v1/admin/services/${target.id}`, { token: adminOfA.token }), 404);
      expectProblem(await call("PATCH", `/v1/admin/services/${target.id}`, { token: adminOfA.token, body: { active: false } }), 404);
      expectProblem(await call("DELETE", `/v1/admin/services/${target.id}`, { token: adminOfA.token }), 404);
      expect((await call("GET", `/v1/admin/services/${target.id}`, { token: admin.token })).body).toEqual(target);
    }
    const own = await create(adminOfA.token);
    const patched = await call("PATCH", `/v1/admin/services/${own.id}`, { token: adminOfA.token, body: { active: false } });
    expect(patched.status).toBe(200);
    expect(patched.body.active).toBe(false);
    expect((await call("DELETE", `/v1/admin/services/${own.id}`, { token: adminOfA.token })).status).toBe(204);
  });

  it("a merchant_admin lists only its own services, inactive included", async () => {
    const a = await createMerchant(admin);
    const b = await createMerchant(admin);
    const adminOfA = await signInMerchantAdmin(admin, a);
    const active = await create(adminOfA.token);
    const inactive = await create(adminOfA.token, { active: false });
    await create(admin.token, { merchantId: b });
    const list = await call("GET", "/v1/admin/services?limit=100", { token: adminOfA.token });
    expect(list.status).toBe(200);
    expect(list.body.items.map((s: { id: string }) => s.id)).toEqual([active.id, inactive.id]);
    expect((await call("GET", `/v1/admin/services?merchantId=${b}`, { token: adminOfA.token })).body.items).toEqual([]);
    const all = await call("GET", "/v1/admin/services?limit=100", { token: admin.token });
    expect(all.body.items.map((s: { merchantId: string | null }) => s.merchantId)).toContain(b);
  });

  it("needs a token (401) and a managing role (403) on every admin route", async () => {
    const svc = await create(admin.token);
    const customer = await signIn();
    const routes: [string, string, unknown?][] = [
      ["GET", "/v1/admin/services"],
      ["GET", `/v1/admin/services/${svc.id}`],
      ["POST", "/v1/admin/services", body()],
      ["PATCH", `/v1/admin/services/${svc.id}`, { active: false }],
      ["DELETE", `/v1/admin/services/${svc.id}`],
    ];
    for (const [method, path, b] of routes) {
      expectProblem(await call(method, path, { body: b }), 401);
      expectProblem(await call(method, path, { body: b, token: customer.token }), 403, "FORBIDDEN");
    }
    expect((await call("GET", `/v1/services/${svc.id}`)).body).toEqual(svc);
  });
});
