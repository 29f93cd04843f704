import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { buildSeed, inlineParams, sqlLiteral, type SeedPlan } from "../../scripts/seed";
import { CITY, CUSTOMER_HOMES, MERCHANTS, PHONES, SERVICES, TECHNICIAN_COUNT } from "../../scripts/seed-demo";
import { cellOf, cellsCovering, resolutionOf } from "../../src/domain/geo";
import { call, expectProblem, signIn } from "../support/http";

// The demo data npm run seed writes, built with the test database's keys and run against it.
let plan: SeedPlan;
/** The account a demo technician's phone got by signing in before the seed ran. */
let earlyAccountId: string;

async function runSeed(): Promise<SeedPlan> {
  const built = await buildSeed(env);
  await env.DB.batch(built.statements.map((s) => env.DB.prepare(s)));
  return built;
}

async function counts(tables: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of tables) out[t] = (await env.DB.prepare(`SELECT count(*) AS n FROM "${t}"`).first<{ n: number }>())!.n;
  return out;
}

/** A weekday (Tuesday to Friday) a few days ahead, as a local date in Shanghai. */
function workdayAhead(): string {
  for (let days = 3; ; days++) {
    const local = new Date(Date.now() + 8 * 3_600_000 + days * 86_400_000);
    if (local.getUTCDay() >= 2 && local.getUTCDay() <= 5) return local.toISOString().slice(0, 10);
  }
}

beforeAll(async () => {
  earlyAccountId = (await signIn(PHONES.technician(TECHNICIAN_COUNT))).accountId;
  plan = await runSeed();
});

describe("demo seed", () => {
  it("is idempotent: running it again changes no row counts", async () => {
    const tables = Object.keys(plan.rows);
    const before = await counts(tables);
    expect(before).toEqual(plan.rows);
    await runSeed();
    expect(await counts(tables)).toEqual(before);
  });

  it("writes the city with exactly the cells POST /v1/admin/cities would give it", async () => {
    const cities = await call("GET", "/v1/cities");
    const shanghai = cities.body.items.find((c: { id: string }) => c.id === CITY.id);
    expect(shanghai).toMatchObject({ name: CITY.name, timeZone: "Asia/Shanghai", center: CITY.center, radiusKm: 40, resolution: 5 });
    expect(shanghai.cells).toEqual(cellsCovering(CITY.center, CITY.radiusKm, resolutionOf(env)));
    const admin = await signIn(PHONES.admin);
    const again = await call("POST", "/v1/admin/cities", {
      token: admin.token,
      body: { name: "Shanghai again", timeZone: "Asia/Shanghai", center: CITY.center, radiusKm: 10 },
    });
    expectProblem(again, 409, "CITY_OVERLAP");
  });

  it("gives the staff accounts their documented phones and roles", async () => {
    const admin = await signIn(PHONES.admin);
    expect(admin.accountId).toBe("acc_demoAdmin");
    expect(admin.roles).toEqual(["operator", "admin"]);
    const operator = await signIn(PHONES.operator);
    expect(operator.roles).toEqual(["operator"]);
    for (const m of MERCHANTS) {
      const session = await signIn(PHONES.merchantAdmin(m.admin.n));
      const me = await call("GET", "/v1/me", { token: session.token });
      expect(me.body).toMatchObject({ phone: PHONES.merchantAdmin(m.admin.n), roles: ["merchant_admin"], merchant: { id: m.id } });
      const techs = await call("GET", "/v1/admin/technicians?limit=100", { token: session.token });
      expect(techs.status).toBe(200);
      expect(techs.body.items.length).toBeGreaterThan(0);
      expect(new Set(techs.body.items.map((t: { merchantId: string }) => t.merchantId))).toEqual(new Set([m.id]));
    }
  });

  it("encrypts phones and addresses the way the Worker reads them", async () => {
    const n = 7;
    const customer = await signIn(PHONES.customer(n));
    const addresses = await call("GET", "/v1/me/addresses", { token: customer.token });
    expect(addresses.status).toBe(200);
    const home = CUSTOMER_HOMES[n - 1]!;
    expect(addresses.body.items).toEqual([
      expect.objectContaining({
        id: `adr_demoCustomer0${n}`,
        text: home.text,
        lat: home.point.lat,
        lng: home.point.lng,
        cell: cellOf(home.point, resolutionOf(env)),
        contactPhone: PHONES.customer(n),
      }),
    ]);
    const technician = await signIn(PHONES.technician(1));
    const me = await call("GET", "/v1/me", { token: technician.token });
    expect(me.body).toMatchObject({ phone: PHONES.technician(1), technician: { id: "tch_demo001", status: "approved" } });
  });

  it("keeps the account of a demo phone that signed in before the seed, giving it the demo roles", async () => {
    const technician = await signIn(PHONES.technician(TECHNICIAN_COUNT));
    expect(technician.accountId).toBe(earlyAccountId);
    expect(technician.roles).toEqual(["customer", "technician"]);
    const me = await call("GET", "/v1/me", { token: technician.token });
    expect(me.body.technician).toMatchObject({ id: `tch_demo0${TECHNICIAN_COUNT}`, status: "approved" });
  });

  it("places approved technicians in the city's cells and lists them page by page", async () => {
    const operator = await signIn(PHONES.operator);
    const seen: { id: string; homeCell: string; cityId: string; status: string; rating: number }[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { items: typeof seen; nextCursor: string | null } } = await call(
        "GET",
        `/v1/admin/technicians?city=${CITY.id}&limit=25${cursor ? `&cursor=${cursor}` : ""}`,
        { token: operator.token },
      );
      expect(res.status).toBe(200);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(TECHNICIAN_COUNT);
    const cells = new Set(cellsCovering(CITY.center, CITY.radiusKm, resolutionOf(env)));
    for (const t of seen) {
      expect(cells.has(t.homeCell)).toBe(true);
      expect(t.status).toBe("approved");
      expect(t.rating).toBeGreaterThanOrEqual(4);
      expect(t.rating).toBeLessThanOrEqual(5);
    }
  });

  it("offers every demo service with bookable times at a customer's home", async () => {
    const home = CUSTOMER_HOMES[0]!.point;
    const date = workdayAhead();
    const empty: string[] = [];
    for (const s of SERVICES) {
      const res = await call("GET", `/v1/availability?serviceId=${s.id}&lat=${home.lat}&lng=${home.lng}&date=${date}`);
      expect(res.status, `${s.id}: ${JSON.stringify(res.body)}`).toBe(200);
      if (!res.body.slots.some((slot: { available: number }) => slot.available > 0)) empty.push(s.id);
    }
    expect(empty).toEqual([]);
  });
});

describe("inlining values into SQL", () => {
  it("quotes text, keeps numbers and NULL, and leaves quoted question marks alone", () => {
    expect(
      inlineParams({ sql: `insert into "t" ("a?", "b", "c", "d") values (?, ?, ?, 'why?')`, params: ["O'Brien; --", 3.5, null] }),
    ).toBe(`insert into "t" ("a?", "b", "c", "d") values ('O''Brien; --', 3.5, NULL, 'why?')`);
    expect(sqlLiteral(true)).toBe("1");
    expect(() => inlineParams({ sql: "select ?, ?", params: [1] })).toThrow();
    expect(() => inlineParams({ sql: "select ?", params: [1, 2] })).toThrow();
    expect(() => sqlLiteral(Number.NaN)).toThrow();
    expect(() => sqlLiteral("a\0b")).toThrow();
    expect(() => sqlLiteral({})).toThrow();
  });
});
