import { describe, expect, it } from "vitest";
import { cellStub } from "../../src/cells/cells.service";
import { zonedToUtc } from "../../src/domain/zoned";
import { call, expectProblem } from "../support/http";
import { freshCenter } from "../support/fixtures";
import { addTechnician, cellAt, createWorld, insertService, localDay, neighbourPoint } from "../support/world";
import { env } from "cloudflare:test";

const avail = (q: Record<string, string | number>) =>
  call("GET", `/v1/availability?${new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)]))}`);

describe("GET /v1/availability", () => {
  it("counts the qualified technicians of the point's cell and its ring, per slot", async () => {
    const w = await createWorld(freshCenter());
    const date = localDay(w.timeZone, 3);
    await addTechnician(w, w.center);
    await addTechnician(w, w.center);
    // unqualified (another skill) and unapproved technicians at the same place do not count
    await addTechnician(w, w.center, { skills: [w.otherSkill] });
    await addTechnician(w, w.center, { approve: false });
    const res = await avail({ serviceId: w.serviceId, lat: w.center.lat, lng: w.center.lng, date });
    expect(res.status).toBe(200);
    expect(res.body.timeZone).toBe("Asia/Shanghai");
    expect(res.body.durationMinutes).toBe(120);
    // default shifts 08:00–20:00 and a 2-hour job: starts 08:00 … 18:00 on the half hour
    expect(res.body.slots.map((s: { start: string }) => s.start.slice(11, 16))).toEqual(
      Array.from({ length: 21 }, (_, i) => `${String(8 + Math.floor(i / 2)).padStart(2, "0")}:${i % 2 ? "30" : "00"}`),
    );
    expect(res.body.slots[0].start).toBe(`${date}T08:00:00+08:00`);
    expect(res.body.slots[0].end).toBe(`${date}T10:00:00+08:00`);
    expect(res.body.slots.every((s: { available: number }) => s.available === 2)).toBe(true);
    // a technician homed in a neighbouring cell (the ring) counts too
    const ring = await addTechnician(w, neighbourPoint(cellAt(w.center)));
    expect(ring.homeCell).not.toBe(cellAt(w.center));
    const again = await avail({ serviceId: w.serviceId, lat: w.center.lat, lng: w.center.lng, date });
    expect(again.body.slots.every((s: { available: number }) => s.available === 3)).toBe(true);
  });

  it("drops a technician from the slots a hold blocks, travel and buffer included", async () => {
    const w = await createWorld(freshCenter());
    const date = localDay(w.timeZone, 3);
    const t = await addTechnician(w, w.center);
    const before = await avail({ serviceId: w.serviceId, lat: w.center.lat, lng: w.center.lng, date });
    expect(before.body.slots).toHaveLength(21);
    const start = zonedToUtc(date, 12 * 60, w.timeZone);
    const r = await cellStub(env, t.homeCell).hold({
      technicianId: t.id,
      orderId: "ord_test_1",
      start,
      end: start + 2 * 3_600_000,
      ttlMs: 600_000,
      ...w.center,
    });
    expect(r.ok).toBe(true);
    const after = await avail({ serviceId: w.serviceId, lat: w.center.lat, lng: w.center.lng, date });
    const times = after.body.slots.map((s: { start: string }) => s.start.slice(11, 16));
    // 10:00–12:00 would end with no buffer before 12:00; 14:00 starts without the buffer after; both gone
    expect(times).not.toContain("10:00");
    expect(times).not.toContain("12:00");
    expect(times).not.toContain("14:00");
    expect(times).toContain("09:30");
    expect(times).toContain("14:30");
  });

  it("never offers past times or times inside the lead time, nor beyond the horizon", async () => {
    const w = await createWorld(freshCenter(), { leadTimeMinutes: 24 * 60, horizonDays: 2 });
    await addTechnician(w, w.center);
    const today = await avail({ serviceId: w.serviceId, lat: w.center.lat, lng: w.center.lng, date: localDay(w.timeZone, 0) });
    expect(today.status).toBe(200);
    expect(today.body.slots).toEqual([]);
    const far = await avail({ serviceId: w.serviceId, lat: w.center.lat, lng: w.center.lng, date: localDay(w.timeZone, 5) });
    expect(far.body.slots).toEqual([]);
    const tomorrowPlus = await avail({ serviceId: w.serviceId, lat: w.center.lat, lng: w.center.lng, date: localDay(w.timeZone, 2) });
    for (const s of tomorrowPlus.body.slots) expect(Date.parse(s.start)).toBeGreaterThanOrEqual(Date.now() + 24 * 3_600_000 - 60_000);
  });

  it("narrows to one technician with technicianId", async () => {
    const w = await createWorld(freshCenter());
    const date = localDay(w.timeZone, 3);
    const a = await addTechnician(w, w.center);
    await addTechnician(w, w.center);
    const res = await avail({ serviceId: w.serviceId, lat: w.center.lat, lng: w.center.lng, date, technicianId: a.id });
    expect(res.body.slots.every((s: { available: number }) => s.available === 1)).toBe(true);
    expect(res.body.slots.length).toBe(21);
  });

  it("handles a daylight-saving day in New York: no slot in the skipped hour, none shifted", async () => {
    const w = await createWorld(freshCenter(), { timeZone: "America/New_York", horizonDays: 400, durationMinutes: 60 });
    const tech = await addTechnician(w, w.center);
    const weekly = Object.fromEntries(
      ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, [{ start: "00:00", end: "06:00" }]]),
    );
    const put = await call("PUT", `/v1/admin/technicians/${tech.id}/shifts`, { token: w.admin.token, body: { weekly } });
    expect(put.status).toBe(200);
    const res = await avail({ serviceId: w.serviceId, lat: w.center.lat, lng: w.center.lng, date: "2027-03-14" });
    expect(res.status).toBe(200);
    const starts = res.body.slots.map((s: { start: string }) => s.start);
    // 00:00 … 01:30 EST, then 03:00 … 05:00 EDT (02:xx does not exist that night); the shift is 5 real hours
    expect(starts).toEqual([
      "2027-03-14T00:00:00-05:00",
      "2027-03-14T00:30:00-05:00",
      "2027-03-14T01:00:00-05:00",
      "2027-03-14T01:30:00-05:00",
      "2027-03-14T03:00:00-04:00",
      "2027-03-14T03:30:00-04:00",
      "2027-03-14T04:00:00-04:00",
      "2027-03-14T04:30:00-04:00",
      "2027-03-14T05:00:00-04:00",
    ]);
  });

  it("rejects bad input with 400 and unknown or unoffered services with 404", async () => {
    const w = await createWorld(freshCenter());
    const base = { serviceId: w.serviceId, lat: w.center.lat, lng: w.center.lng, date: localDay(w.timeZone, 3) };
    expectProblem(await avail({ ...base, date: "2026-02-30" }), 400, "VALIDATION_FAILED");
    expectProblem(await avail({ ...base, date: "tomorrow" }), 400, "VALIDATION_FAILED");
    expectProblem(await avail({ ...base, lat: 123 }), 400, "VALIDATION_FAILED");
    expectProblem(await call("GET", `/v1/availability?lat=1&lng=2&date=2026-12-01`), 400, "VALIDATION_FAILED");
    expectProblem(await avail({ ...base, serviceId: "svc_missing" }), 404);
    expectProblem(await avail({ ...base, lat: -80, lng: 0 }), 404, "SERVICE_NOT_OFFERED");
    const other = await createWorld(freshCenter());
    const elsewhere = await insertService({
      skills: [w.skill],
      cityId: other.cityId,
      leadTimeMinutes: 0,
      horizonDays: 14,
      durationMinutes: 60,
    });
    expectProblem(await avail({ ...base, serviceId: elsewhere }), 404, "SERVICE_NOT_OFFERED");
    expectProblem(await avail({ ...base, technicianId: "tec_missing" }), 404);
  });
});
