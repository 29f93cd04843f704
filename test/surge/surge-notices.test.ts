import { env } from "cloudflare:test";
import { cellToLatLng, latLngToCell } from "h3-js";
import { describe, expect, it } from "vitest";
import type { CellEvent } from "../../src/domain/cell-events";
import { surgeNoticeRecipients, type SurgeNoticeCandidate } from "../../src/domain/surge-notices";
import { newId } from "../../src/lib/ids";
import { waitFor } from "../support/booking";
import { deliverCellEvents, runCellAlarm } from "../support/cell";
import { ageSurge } from "../support/surge";
import { freshCenter } from "../support/fixtures";
import { call, expectProblem } from "../support/http";
import { addTechnician, cellAt, createWorld, localDay, neighbourPoint, type World } from "../support/world";
import fc from "fast-check";

/** A world centred on the middle of an H3 cell. */
async function cellWorld() {
  const p = freshCenter(-60, -55);
  const [lat, lng] = cellToLatLng(latLngToCell(p.lat, p.lng, 5));
  return createWorld({ lat, lng });
}

/** Today (local) as a whole shift, or as a day off. */
async function shiftToday(w: World, technicianId: string, working: boolean) {
  const today = localDay(w.timeZone, 0);
  const intervals = working ? [{ start: "00:00", end: "24:00" }] : [];
  const res = await call("PUT", `/v1/admin/technicians/${technicianId}/shifts`, {
    token: w.admin.token,
    body: { weekly: null, exceptions: [{ date: today, intervals }] },
  });
  expect(res.status).toBe(200);
}

async function goOnline(t: { session: () => Promise<{ token: string }> }, at: { lat: number; lng: number }) {
  const me = await t.session();
  expect((await call("POST", "/v1/technician/status", { token: me.token, body: { online: true } })).status).toBe(200);
  expect((await call("POST", "/v1/technician/presence", { token: me.token, body: at })).status).toBe(200);
}

function surgeEvent(cell: string, at: number, to: "surging" | "normal", skills: string[]): CellEvent {
  return {
    type: "surge.changed",
    id: newId("cev"),
    cell,
    from: to === "surging" ? "normal" : "surging",
    to,
    at,
    demand: 6,
    supply: 0,
    ratio: 6,
    skills,
  };
}

async function surgeCalls(cell: string): Promise<{ technicianId: string; reason: string }[]> {
  const { results } = await env.DB.prepare(
    "SELECT payload FROM outbox WHERE topic = 'surge.call' AND json_extract(payload, '$.cell') = ? ORDER BY created_at, id",
  )
    .bind(cell)
    .all<{ payload: string }>();
  return results.map((r) => JSON.parse(r.payload) as { technicianId: string; reason: string });
}

const setNotify = (w: World, notify: { enabled: boolean; ring: number; cooldownMinutes: number }) =>
  call("PUT", `/v1/admin/cities/${w.cityId}/surge-settings`, { token: w.admin.token, body: { notify } });

describe("surge notices to technicians", () => {
  it("tells the right technicians once when a cell enters surge, nothing again inside the cooldown, nothing when off", async () => {
    const w = await cellWorld();
    const cell = cellAt(w.center);
    const near = neighbourPoint(cell);

    const offShift = await addTechnician(w, w.center); // off duty, still on shift today: told to go online
    const dayOff = await addTechnician(w, w.center); // off duty, day off: not told
    const nearFree = await addTechnician(w, near); // on duty and free next door: told to head over
    const hereFree = await addTechnician(w, w.center); // on duty in the surging cell: already its supply
    const wrongSkill = await addTechnician(w, near, { skills: [w.otherSkill] });
    const suspended = await addTechnician(w, w.center);
    const pending = await addTechnician(w, w.center, { approve: false });
    for (const t of [offShift, nearFree, hereFree, wrongSkill, suspended]) await shiftToday(w, t.id, true);
    await shiftToday(w, dayOff.id, false);
    await goOnline(nearFree, near);
    await goOnline(hereFree, w.center);
    const s = await call("POST", `/v1/admin/technicians/${suspended.id}/suspend`, {
      token: w.admin.token,
      body: { reason: "客户投诉待查", until: new Date(Date.now() + 3 * 86_400_000).toISOString() },
    });
    expect(s.status).toBe(200);
    expect(pending.id).toBeTruthy();

    // Off by default: a surge tells nobody.
    const t0 = Date.now();
    await deliverCellEvents([surgeEvent(cell, t0, "surging", [w.skill])]);
    expect(await surgeCalls(cell)).toEqual([]);

    const put = await setNotify(w, { enabled: true, ring: 1, cooldownMinutes: 60 });
    expect(put.status).toBe(200);
    expect(put.body.notify).toEqual({ enabled: true, ring: 1, cooldownMinutes: 60 });
    expect(put.body.pricing.enabled).toBe(false);

    await deliverCellEvents([surgeEvent(cell, t0 + 60_000, "normal", [])]);
    const enter = surgeEvent(cell, t0 + 120_000, "surging", [w.skill]);
    await deliverCellEvents([enter]);
    await deliverCellEvents([enter]); // a redelivery adds nothing
    const told = await surgeCalls(cell);
    expect(told.map((c) => [c.technicianId, c.reason]).sort()).toEqual(
      [
        [offShift.id, "go_online"],
        [nearFree.id, "head_over"],
      ].sort(),
    );

    // The notice reaches the technician in both languages, naming the skill (never its code).
    const me = await offShift.session();
    const inbox = await waitFor(
      async () =>
        (await call("GET", "/v1/me/notifications?limit=50", { token: me.token })).body.items as {
          kind: string;
          title: object;
          body: { zh: string; en: string };
        }[],
      (items) => items.some((n) => n.kind === "surge.call"),
    );
    const n = inbox.find((x) => x.kind === "surge.call")!;
    expect(n.title).toEqual({ zh: "附近订单需求激增", en: "Demand is surging near you" });
    expect(n.body.en).toContain("go online");
    expect(n.body.zh).toContain("上线");
    const name = await env.DB.prepare("SELECT name_zh AS zh, name_en AS en FROM skills WHERE code = ?")
      .bind(w.skill)
      .first<{ zh: string; en: string }>();
    expect(n.body.en).toContain(`Demand for ${name!.en} is surging`);
    expect(n.body.zh).toContain(`「${name!.zh}」`);

    // The cell cools down and surges again ten minutes later: inside the cooldown, nobody is told again.
    await deliverCellEvents([surgeEvent(cell, t0 + 300_000, "normal", [])]);
    await deliverCellEvents([surgeEvent(cell, t0 + 600_000, "surging", [w.skill])]);
    expect(await surgeCalls(cell)).toHaveLength(2);

    // Switched off: a surge after the cooldown tells nobody.
    expect((await setNotify(w, { enabled: false, ring: 1, cooldownMinutes: 60 })).status).toBe(200);
    await deliverCellEvents([surgeEvent(cell, t0 + 62 * 60_000, "normal", [])]);
    await deliverCellEvents([surgeEvent(cell, t0 + 63 * 60_000, "surging", [w.skill])]);
    expect(await surgeCalls(cell)).toHaveLength(2);

    // On again, past the cooldown: told again.
    expect((await setNotify(w, { enabled: true, ring: 1, cooldownMinutes: 60 })).status).toBe(200);
    await deliverCellEvents([surgeEvent(cell, t0 + 64 * 60_000, "normal", [])]);
    await deliverCellEvents([surgeEvent(cell, t0 + 65 * 60_000, "surging", [w.skill])]);
    expect(await surgeCalls(cell)).toHaveLength(4);
  });

  it("tells a technician once per cooldown when two neighbouring cells surge at the same moment", async () => {
    const w = await cellWorld();
    const cell = cellAt(w.center);
    const near = neighbourPoint(cell);
    const t = await addTechnician(w, near);
    await shiftToday(w, t.id, true);
    expect((await setNotify(w, { enabled: true, ring: 1, cooldownMinutes: 30 })).status).toBe(200);
    const at = Date.now();
    await Promise.all([
      deliverCellEvents([surgeEvent(cell, at, "surging", [w.skill])]),
      deliverCellEvents([surgeEvent(cellAt(near), at, "surging", [w.skill])]),
    ]);
    const { results } = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM outbox WHERE topic = 'surge.call' AND json_extract(payload, '$.technicianId') = ?",
    )
      .bind(t.id)
      .all<{ n: number }>();
    expect(results[0]!.n).toBe(1);
  });

  it("with ring 0 tells only the technicians homed in the surging cell", async () => {
    const w = await cellWorld();
    const cell = cellAt(w.center);
    const here = await addTechnician(w, w.center);
    const next = await addTechnician(w, neighbourPoint(cell));
    for (const t of [here, next]) await shiftToday(w, t.id, true);
    expect((await setNotify(w, { enabled: true, ring: 0, cooldownMinutes: 30 })).status).toBe(200);
    await deliverCellEvents([surgeEvent(cell, Date.now(), "surging", [w.skill])]);
    expect((await surgeCalls(cell)).map((c) => c.technicianId)).toEqual([here.id]);
  });

  it("keeps the pricing when only the notices are set, and the notices when only the pricing is", async () => {
    const w = await cellWorld();
    const pricing = { enabled: true, percent: 10, maxAmount: 300 };
    expect((await call("PUT", `/v1/admin/cities/${w.cityId}/surge-settings`, { token: w.admin.token, body: { pricing } })).status).toBe(
      200,
    );
    const notify = { enabled: true, ring: 2, cooldownMinutes: 30 };
    expect((await setNotify(w, notify)).body).toMatchObject({ pricing, notify });
    const off = { enabled: false, percent: 0, maxAmount: 0 };
    const res = await call("PUT", `/v1/admin/cities/${w.cityId}/surge-settings`, { token: w.admin.token, body: { pricing: off } });
    expect(res.body).toMatchObject({ pricing: off, notify });
  });

  it("refuses notice settings out of bounds and changes nothing", async () => {
    const w = await cellWorld();
    for (const notify of [
      { enabled: true, ring: 4, cooldownMinutes: 60 },
      { enabled: true, ring: 1, cooldownMinutes: 1 },
      { enabled: true, ring: 1, cooldownMinutes: 60, extra: 1 },
    ]) {
      const res = await call("PUT", `/v1/admin/cities/${w.cityId}/surge-settings`, { token: w.admin.token, body: { notify } });
      expectProblem(res, 400);
    }
    const got = await call("GET", `/v1/admin/cities/${w.cityId}/surge-settings`, { token: w.admin.token });
    expect(got.body.notify).toEqual({ enabled: false, ring: 1, cooldownMinutes: 60 });
  });
});

describe("the skills in demand", () => {
  it("are named by the cell's surge event, most asked for first", async () => {
    const p = freshCenter(-60, -55);
    const [lat, lng] = cellToLatLng(latLngToCell(p.lat, p.lng, 5));
    const cell = latLngToCell(lat, lng, 5);
    const stub = env.CELL.getByName(cell);
    const start = Date.now() + 86_400_000;
    // Searches for a job in the empty cell find nobody: each is demand, with the skills it asked for.
    for (const skills of [["ac_fix", "clean"], ["clean"], ["clean", "pipes"]]) {
      expect(await stub.candidates({ start, end: start + 3_600_000, lat, lng, skills, exclude: [] })).toEqual({ ok: true, candidates: [] });
      await ageSurge(cell);
    }
    let events: CellEvent[] = [];
    for (let i = 0; i < 3 && events.length === 0; i++) {
      events = (await runCellAlarm(cell)).filter((e) => e.type === "surge.changed");
      await ageSurge(cell);
    }
    expect(events).toEqual([expect.objectContaining({ type: "surge.changed", to: "surging", skills: ["clean", "ac_fix", "pipes"] })]);
  });
});

describe("who hears of a surge (rule)", () => {
  const candidate = fc.record({
    technicianId: fc.uuid(),
    homeCell: fc.constantFrom("a", "b", "c"),
    skills: fc.subarray(["x", "y", "z"]),
    online: fc.boolean(),
    busy: fc.boolean(),
    onShiftToday: fc.boolean(),
  }) as fc.Arbitrary<SurgeNoticeCandidate>;

  it("only technicians with a skill in demand: off duty on shift, or on duty, free and next door", () => {
    fc.assert(
      fc.property(fc.array(candidate, { maxLength: 20 }), fc.subarray(["x", "y", "z"]), (cands, skills) => {
        const out = surgeNoticeRecipients("a", skills, cands);
        const byId = new Map(cands.map((c) => [c.technicianId, c]));
        for (const r of out) {
          const c = byId.get(r.technicianId)!;
          if (skills.length > 0) expect(c.skills.some((s) => skills.includes(s))).toBe(true);
          if (r.reason === "go_online") expect(!c.online && c.onShiftToday).toBe(true);
          else expect(c.online && !c.busy && c.homeCell !== "a").toBe(true);
        }
        const expected = cands.filter(
          (c) =>
            (skills.length === 0 || c.skills.some((s) => skills.includes(s))) &&
            ((!c.online && c.onShiftToday) || (c.online && !c.busy && c.homeCell !== "a")),
        );
        expect(out).toHaveLength(expected.length);
      }),
    );
  });
});
