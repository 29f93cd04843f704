/**
 * Choosing a technician through HTTP: the search near a point with free time on a date (ranking,
 * the free-time and skill filters, bounds, cost), and booking the one picked with the `chosen`
 * dispatch mode until the chosen technician holds the order.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { forgetCellVersions } from "../../src/cells/roster-versions";
import { areaOf } from "../../src/domain/geo";
import { book, newCustomer, quote } from "../support/booking";
import { countedCall } from "../support/counting";
import { freshCenter } from "../support/fixtures";
import { call, expectProblem, signIn } from "../support/http";
import { scheduleOf } from "../support/visit";
import { addTechnician, createWorld, insertTechnicians, localDay, type World } from "../support/world";

const setRating = (id: string, x100: number, count: number) =>
  env.DB.prepare("UPDATE technicians SET rating_x100 = ?, rating_count = ? WHERE id = ?").bind(x100, count, id).run();

async function shiftsOn(w: World, technicianId: string, date: string, intervals: { start: string; end: string }[]) {
  const res = await call("PUT", `/v1/admin/technicians/${technicianId}/shifts`, {
    token: w.admin.token,
    body: { weekly: null, exceptions: [{ date, intervals }] },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

/**
 * A world searched at a point on the ~1 km area grid (so the home areas are exact): B (4.9) and A
 * (4.2) and F (3.0, free only 14:00–16:00) at the point, C (5.0) ~3.3 km north, D without the
 * service's skill, E on leave that day.
 */
async function searchWorld() {
  const w = await createWorld(freshCenter(), { dispatchMode: "chosen" });
  const point = areaOf(w.center);
  const date = localDay(w.timeZone, 3);
  const [a, b, c, d, e, f] = await Promise.all([
    addTechnician(w, point),
    addTechnician(w, point),
    addTechnician(w, { lat: point.lat + 0.03, lng: point.lng }),
    addTechnician(w, point, { skills: [w.otherSkill] }),
    addTechnician(w, point),
    addTechnician(w, point),
  ]);
  await Promise.all([
    setRating(a.id, 420, 10),
    setRating(b.id, 490, 3),
    setRating(c.id, 500, 40),
    setRating(e.id, 500, 99),
    setRating(f.id, 300, 5),
    shiftsOn(w, e.id, date, []),
    shiftsOn(w, f.id, date, [{ start: "14:00", end: "16:00" }]),
  ]);
  const viewer = await signIn();
  const search = (query: Record<string, string | number> = {}) =>
    call(
      "GET",
      `/v1/technicians/search?${new URLSearchParams({ serviceId: w.serviceId, lat: String(point.lat), lng: String(point.lng), date, ...Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])) })}`,
      {
        token: viewer.token,
      },
    );
  return { w, point, date, a, b, c, d, e, f, viewer, search };
}

describe("searching technicians near a point", () => {
  it("ranks by whole kilometres to the home area, then rating, keeps only those free that day, and bounds the answer", async () => {
    const { date, a, b, c, f, search } = await searchWorld();
    const res = await search();
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const ids = res.body.items.map((i: { technician: { id: string } }) => i.technician.id);
    // D lacks the skill, E is on leave: neither appears
    expect(ids).toEqual([b.id, a.id, f.id, c.id]);
    expect(res.body.items.map((i: { distanceKm: number }) => i.distanceKm)).toEqual([0, 0, 0, expect.closeTo(3.3, 0)]);
    expect(res.body.ranking).toMatch(/distance/);

    // F is free only 14:00–16:00: the one start a two-hour job fits
    const byId = new Map(res.body.items.map((i: { technician: { id: string } }) => [i.technician.id, i]));
    expect((byId.get(f.id) as { slots: unknown[] }).slots).toEqual([{ start: `${date}T14:00:00+08:00`, end: `${date}T16:00:00+08:00` }]);
    const aSlots = (byId.get(a.id) as { slots: { start: string }[] }).slots.map((s) => s.start);
    expect(aSlots.length).toBeGreaterThan(1);
    expect(aSlots).toContain(`${date}T14:00:00+08:00`);

    // profile summaries: masked, labelled, nothing personal
    const top = res.body.items[0].technician;
    expect(top).toMatchObject({
      id: b.id,
      rating: { average: 4.9, count: 3 },
      level: { code: "trainee", label: { zh: "见习", en: "Trainee" } },
    });
    expect(top.name).toMatch(/^\*+\d$/);
    const json = JSON.stringify(res.body);
    for (const t of [a, b, c, f]) expect(json).not.toContain(t.phone.slice(3));
    expect(json).not.toMatch(/"(phone|home|homeCell|lat|lng|accountId)"/);

    // bounded by limit
    const two = await search({ limit: 2 });
    expect(two.body.items.map((i: { technician: { id: string } }) => i.technician.id)).toEqual([b.id, a.id]);
  });

  it("asks each cell once, whatever the number of technicians", async () => {
    const { w, point, date, viewer } = await searchWorld();
    const path = `/v1/technicians/search?serviceId=${w.serviceId}&lat=${point.lat}&lng=${point.lng}&date=${date}&limit=20`;
    await call("GET", path, { token: viewer.token }); // warm: the cells have their rosters
    const few = await countedCall("GET", path, { token: viewer.token });
    expect(few.status).toBe(200);
    await insertTechnicians(w, 30);
    forgetCellVersions(); // written straight to D1: no push drops the isolate's copy of the roster versions
    await call("GET", path, { token: viewer.token }); // the cell syncs the 30 new technicians
    const many = await countedCall("GET", path, { token: viewer.token });
    expect(many.status).toBe(200);
    expect(many.body.items).toHaveLength(20);
    for (const c of [few, many]) {
      expect(
        c.counts.rpc.every((r) => r.endsWith(":freeStarts")),
        c.counts.rpc.join(),
      ).toBe(true);
      expect(c.counts.rpc.length).toBeLessThanOrEqual(7);
    }
    expect(many.counts.rpc.length).toBe(few.counts.rpc.length);
    expect(many.counts.d1).toBe(few.counts.d1);
  });

  it("books the technician picked from the search with the chosen mode: that technician holds the order", async () => {
    const { w, point, f, d, search } = await searchWorld();
    const customer = await newCustomer(point);
    const found = (await search()).body.items.find((i: { technician: { id: string } }) => i.technician.id === f.id);
    const slot = found.slots[0];
    const q = await quote(w, customer, slot.start, { lat: point.lat, lng: point.lng });
    const orders = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM orders").first<{ n: number }>())!.n;

    // the chosen mode needs a technician; one without the skill is refused; nothing is written
    const before = await orders();
    expectProblem(await book(customer, q), 400);
    expectProblem(await book(customer, q, { technicianId: d.id }), 409, "SLOT_UNAVAILABLE");
    expect(await orders()).toBe(before);

    const res = await book(customer, q, { technicianId: f.id });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(await orders()).toBe(before + 1);
    const row = await env.DB.prepare("SELECT technician_id AS t, dispatch_mode AS m FROM orders WHERE id = ?")
      .bind(res.body.id)
      .first<{ t: string; m: string }>();
    expect(row).toEqual({ t: f.id, m: "chosen" });
    expect((await scheduleOf(w, f.id)).map(([orderId]) => orderId)).toContain(res.body.id);
    // F has no free time left that day: out of the search; the others still are
    const again = (await search()).body.items.map((i: { technician: { id: string } }) => i.technician.id);
    expect(again).not.toContain(f.id);
    expect(again.length).toBe(3);
  });

  it("answers bad input with a 4xx problem and needs a signed-in caller", async () => {
    const { w, point, date, search } = await searchWorld();
    expectProblem(await search({ date: "2026-02-30" }), 400);
    expectProblem(await search({ date: "tomorrow" }), 400);
    expectProblem(await search({ lat: 200 }), 400);
    expectProblem(await search({ limit: 21 }), 400);
    expectProblem(await search({ limit: 0 }), 400);
    expectProblem(await search({ serviceId: "svc_nope" }), 404, "SERVICE_NOT_OFFERED");
    expectProblem(await search({ lat: 0, lng: 0 }), 404, "SERVICE_NOT_OFFERED");
    expectProblem(await call("GET", `/v1/technicians/search?serviceId=${w.serviceId}&lat=${point.lat}&lng=${point.lng}&date=${date}`), 401);
    // a past date has no slots, not an error
    const past = await search({ date: localDay(w.timeZone, -2) });
    expect(past.status).toBe(200);
    expect(past.body.items).toEqual([]);
  });
});
