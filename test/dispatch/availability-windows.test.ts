import { describe, expect, it } from "vitest";
import { at, book, newCustomer, quote } from "../support/booking";
import { freshCenter } from "../support/fixtures";
import { call, expectProblem } from "../support/http";
import { addTechnician, createWorld, localDay } from "../support/world";

const avail = (q: Record<string, string | number>, lang = "en") =>
  call("GET", `/v1/availability?${new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)]))}`, {
    headers: { "Accept-Language": lang },
  });

const hhmm = (iso: string) => iso.slice(11, 16);

describe("GET /v1/availability with windowMinutes: windows with room", () => {
  it("lists exactly the windows a window booking can then hold, each at its earliest fitting start", async () => {
    const w = await createWorld(freshCenter());
    const tech = await addTechnician(w, w.center);
    // the technician's day 2 (shift 08:00–20:00): 2-hour jobs at 09:00 and 13:00 at the same point
    const busy = await newCustomer(w.center);
    for (const t of ["09:00", "13:00"])
      expect((await book(busy, await quote(w, busy, at(w, 2, t)), { technicianId: tech.id })).status).toBe(201);
    const date = localDay(w.timeZone, 2);
    const res = await avail({ serviceId: w.serviceId, lat: w.center.lat, lng: w.center.lng, date, windowMinutes: 180 });
    expect(res.status).toBe(200);
    // free from 15:10 (10-minute buffer) to 20:00; 11:10–12:50 is too short for 2 hours. A 3-hour
    // window has room when a start from 15:10 to 18:00 lies in its first hour: 14:30 … 18:00.
    const listed = res.body.windows as { start: string; end: string; available: number }[];
    expect(listed.map((x) => hhmm(x.start))).toEqual(["14:30", "15:00", "15:30", "16:00", "16:30", "17:00", "17:30", "18:00"]);
    expect(listed.every((x) => x.available === 1 && Date.parse(x.end) - Date.parse(x.start) === 180 * 60_000)).toBe(true);
    expect(listed[0]!.start).toBe(at(w, 2, "14:30"));
    // the exact slots are still there, unchanged in shape
    expect(res.body.slots.map((s: { start: string }) => hhmm(s.start))).toContain("15:30");

    // every window of the working day: a window booking succeeds exactly when it is listed
    const c = await newCustomer(w.center);
    for (let minute = 8 * 60; minute <= 18 * 60; minute += 30) {
      const start = at(w, 2, `${String(Math.floor(minute / 60)).padStart(2, "0")}:${minute % 60 ? "30" : "00"}`);
      const end = new Date(Date.parse(start) + 180 * 60_000).toISOString();
      const q = await call("POST", "/v1/quotes", {
        token: c.session.token,
        body: { serviceId: w.serviceId, lat: w.center.lat, lng: w.center.lng, window: { start, end } },
      });
      expect(q.status).toBe(201);
      const booked = await book(c, q.body);
      const isListed = listed.some((x) => x.start === start);
      expect([hhmm(start), booked.status]).toEqual([hhmm(start), isListed ? 201 : 409]);
      if (booked.status === 201) {
        // at the earliest start the window allows after the other jobs
        expect(Date.parse(booked.body.start)).toBe(Math.max(Date.parse(start), Date.parse(at(w, 2, "15:10"))));
        expect(
          (await call("POST", `/v1/orders/${booked.body.id}/cancel`, { token: c.session.token, body: { reason: "test" } })).status,
        ).toBe(200);
      }
    }
  });

  it("counts each technician with room once, and answers no windows key without windowMinutes", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    await addTechnician(w, w.center);
    await addTechnician(w, w.center, { skills: [w.otherSkill] }); // unqualified: not counted
    const date = localDay(w.timeZone, 3);
    const plain = await avail({ serviceId: w.serviceId, lat: w.center.lat, lng: w.center.lng, date });
    expect(plain.status).toBe(200);
    expect(plain.body).not.toHaveProperty("windows");
    const res = await avail({ serviceId: w.serviceId, lat: w.center.lat, lng: w.center.lng, date, windowMinutes: 240 });
    // shift 08:00–20:00, 2-hour job: windows from 06:00 (job 08:00–10:00) to 18:00 (job 18:00–20:00 fits)
    const listed = res.body.windows as { start: string; available: number }[];
    expect(hhmm(listed[0]!.start)).toBe("06:00");
    expect(hhmm(listed.at(-1)!.start)).toBe("18:00");
    expect(listed).toHaveLength(25);
    expect(listed.every((x) => x.available === 2)).toBe(true);
  });

  it("refuses a window shorter than the job with 400 INVALID_WINDOW naming the field, in both languages", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const q = { serviceId: w.serviceId, lat: w.center.lat, lng: w.center.lng, date: localDay(w.timeZone, 3) };
    const en = await avail({ ...q, windowMinutes: 90 });
    expectProblem(en, 400, "INVALID_WINDOW");
    expect(en.body.errors.map((e: { path: string }) => e.path)).toEqual(["query.windowMinutes"]);
    expect(en.body.detail).toMatch(/^The time window cannot be booked: the window must be at least as long as the job \(120 minutes\)/);
    const zh = await avail({ ...q, windowMinutes: 90 }, "zh-CN");
    expectProblem(zh, 400, "INVALID_WINDOW");
    expect(zh.body.detail).toMatch(/^该预约时段无法预约：时段不得短于服务时长（120 分钟）/);
    // longer than 8 hours, or not a whole number: a plain validation problem
    for (const bad of ["481", "abc", "90.5"]) expectProblem(await avail({ ...q, windowMinutes: bad }), 400);
  });
});
