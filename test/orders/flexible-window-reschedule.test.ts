import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { clashes, DEFAULT_TRAVEL } from "../../src/domain/calendar";
import { at, book, newCustomer, quote, type Customer } from "../support/booking";
import { freshCenter } from "../support/fixtures";
import { call, expectProblem } from "../support/http";
import { addTechnician, createWorld } from "../support/world";
import { noticesOf, scheduleOf, windowOrderRow } from "../support/windows";

const orderRow = windowOrderRow;

const reschedule = (c: Customer, id: string, body: Record<string, unknown>, lang = "en") =>
  call("POST", `/v1/orders/${id}/reschedule`, { token: c.session.token, headers: { "Accept-Language": lang }, body });

/** One technician at the centre with a fixed-time order 09:00–11:00 and another 13:00–15:00 (2-hour jobs, day 2). */
async function busyDay() {
  const w = await createWorld(freshCenter());
  const tech = await addTechnician(w, w.center);
  const c = await newCustomer(w.center);
  const mine = await book(c, await quote(w, c, at(w, 2, "09:00")), { technicianId: tech.id });
  expect(mine.status).toBe(201);
  const other = await newCustomer(w.center);
  const theirs = await book(other, await quote(w, other, at(w, 2, "13:00")), { technicianId: tech.id });
  expect(theirs.status).toBe(201);
  return { w, tech, c, order: mine.body, other: theirs.body };
}

describe("rescheduling to a new window", () => {
  it("moves the order to the earliest start its technician can take inside the new window and keeps the window", async () => {
    const { w, tech, c, order, other } = await busyDay();
    const res = await reschedule(c, order.id, { window: { start: at(w, 2, "12:00"), end: at(w, 2, "18:00") } });
    expect(res.status).toBe(200);
    // 12:00 would run into the 13:00 job; the first start after it (same point, 10-minute buffer) is 15:10
    expect(res.body).toMatchObject({
      technician: { id: tech.id },
      start: at(w, 2, "15:10"),
      end: at(w, 2, "17:10"),
      window: { start: at(w, 2, "12:00"), end: at(w, 2, "18:00") },
    });
    expect(await orderRow(order.id)).toMatchObject({
      start_at: Date.parse(at(w, 2, "15:10")),
      window_start_at: Date.parse(at(w, 2, "12:00")),
      window_end_at: Date.parse(at(w, 2, "18:00")),
    });
    // the calendar agrees, and the other job is untouched
    const items = await scheduleOf(w, tech.id);
    expect(items.map((i) => [i.orderId.split(":")[0], Date.parse(i.start)])).toEqual([
      [other.id, Date.parse(at(w, 2, "13:00"))],
      [order.id, Date.parse(at(w, 2, "15:10"))],
    ]);
    // the timeline names the new window and the planned start in both languages
    const last = res.body.timeline.at(-1);
    expect(last.reason).toBe("rescheduled to a new window");
    expect(last.note.en).toBe(`Window ${at(w, 2, "12:00").slice(5, 10)} 12:00–18:00; the technician plans to start at 15:10`);
    expect(last.note.zh).toBe(`预约时段 ${at(w, 2, "12:00").slice(5, 10)} 12:00–18:00，技师计划 15:10 开始服务`);
    // the customer's notice says the new time and the window
    const [notice] = await noticesOf(c, "order.rescheduled", order.id);
    expect(notice.body.en).toMatch(/^New visit time: .*\. Window .* 12:00–18:00; the technician plans to start at 15:10\.$/);
    expect(notice.body.zh).toMatch(/^新的上门时间：.*。预约时段 .* 12:00–18:00，技师计划 15:10 开始服务。$/);

    // an exact start later, outside the new window, makes it a fixed-time order again (windowAfterReschedule)
    const fixed = await reschedule(c, order.id, { start: at(w, 2, "17:00") });
    expect(fixed.body.code ?? fixed.status).toBe(200);
    expect(fixed.body.window).toBeNull();
  });

  it("refuses a bad request with 400 INVALID_WINDOW naming the field, in both languages, and changes nothing", async () => {
    const { w, c, order } = await busyDay();
    const before = await orderRow(order.id);
    const cases: [Record<string, unknown>, string][] = [
      [{ start: at(w, 2, "16:00"), window: { start: at(w, 2, "16:00"), end: at(w, 2, "19:00") } }, "body.window"],
      [{}, "body.start"],
      [{ window: { start: at(w, 2, "19:00"), end: at(w, 2, "16:00") } }, "body.window.end"],
      [{ window: { start: at(w, 2, "16:00"), end: at(w, 2, "17:00") } }, "body.window.end"], // shorter than the 2-hour job
      [{ window: { start: at(w, 2, "08:00"), end: at(w, 2, "17:00") } }, "body.window.end"], // longer than 8 hours
    ];
    for (const [body, path] of cases) {
      const en = await reschedule(c, order.id, body, "en");
      expectProblem(en, 400, "INVALID_WINDOW");
      expect(en.body.errors.map((e: { path: string }) => e.path)).toContain(path);
      expect(en.body.detail).toMatch(/^The time window cannot be booked: /);
      const zh = await reschedule(c, order.id, body, "zh-CN");
      expectProblem(zh, 400, "INVALID_WINDOW");
      expect(zh.body.detail).toMatch(/^该预约时段无法预约：/);
    }
    // an unknown field of the window is refused as any strict body
    expectProblem(await reschedule(c, order.id, { window: { start: at(w, 2, "16:00"), end: at(w, 2, "19:00"), x: 1 } }), 400);
    expect(await orderRow(order.id)).toEqual(before);
  });

  it("answers 409 WINDOW_FULL when no start of the new window fits, and changes nothing", async () => {
    const { w, tech, c, order } = await busyDay();
    const before = await orderRow(order.id);
    const scheduleBefore = await scheduleOf(w, tech.id);
    // 11:30–15:30: any 2-hour start in it runs into the 13:00 job
    for (const lang of ["en", "zh-CN"]) {
      const res = await reschedule(c, order.id, { window: { start: at(w, 2, "11:30"), end: at(w, 2, "15:30") } }, lang);
      expectProblem(res, 409, "WINDOW_FULL");
      expect(res.body.detail).toMatch(lang === "en" ? /no free start inside that window/ : /没有可用的开始时间/);
    }
    expect(await orderRow(order.id)).toEqual(before);
    expect(await scheduleOf(w, tech.id)).toEqual(scheduleBefore);
  });

  it("of parallel reschedules of one order, each answer is one whole outcome; the order and the calendar end as exactly one of them, with no overlap", async () => {
    const { w, tech, c, order, other } = await busyDay();
    const windows = [
      { start: at(w, 2, "12:00"), end: at(w, 2, "18:00") },
      { start: at(w, 2, "15:00"), end: at(w, 2, "19:00") },
      { start: at(w, 2, "10:00"), end: at(w, 2, "14:00") },
      { start: at(w, 2, "16:00"), end: at(w, 2, "20:00") },
    ];
    const v0 = (await orderRow(order.id))!.version;
    const answers = await Promise.all([...windows, ...windows].map((window) => reschedule(c, order.id, { window })));
    for (const a of answers) expect([200, 409]).toContain(a.status);
    const won = answers.filter((a) => a.status === 200);
    expect(won.length).toBeGreaterThanOrEqual(1);
    for (const a of answers.filter((x) => x.status === 409)) expect(a.body.code).toBe("CONCURRENT_UPDATE");
    // the order is where the last winning write put it: one of the 200 answers, start inside its window
    const row = (await orderRow(order.id))!;
    expect(row.version).toBe(v0 + won.length);
    const final = won.find((a) => Date.parse(a.body.start) === row.start_at && Date.parse(a.body.window.start) === row.window_start_at);
    expect(final).toBeDefined();
    expect(row.start_at).toBeGreaterThanOrEqual(row.window_start_at!);
    expect(row.end_at).toBeLessThanOrEqual(row.window_end_at!);
    // the calendar holds exactly that interval for it, and nothing overlaps
    const items = await scheduleOf(w, tech.id);
    const mine = items.filter((i) => i.orderId.startsWith(order.id));
    expect(mine.map((i) => [Date.parse(i.start), Date.parse(i.end)])).toEqual([[row.start_at, row.end_at]]);
    expect(items.some((i) => i.orderId.startsWith(other.id))).toBe(true);
    const at2 = items.map((i) => ({ start: Date.parse(i.start), end: Date.parse(i.end), ...w.center }));
    for (let a = 0; a < at2.length; a++)
      for (let b = a + 1; b < at2.length; b++) expect(clashes(at2[a]!, at2[b]!, DEFAULT_TRAVEL)).toBe(false);
  });

  it("prices the move at the new window's start: a new total needs the customer's confirmation, as a fixed reschedule", async () => {
    const w = await createWorld(freshCenter());
    await env.DB.prepare("UPDATE services SET surcharges = ? WHERE id = ?")
      .bind(JSON.stringify({ night: { start: "18:00", end: "07:00", percent: 50 } }), w.serviceId)
      .run();
    await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const booked = await book(c, await quote(w, c, at(w, 2, "10:00")));
    expect(booked.status).toBe(201);
    const before = await orderRow(booked.body.id);
    const window = { start: at(w, 3, "18:00"), end: at(w, 3, "20:30") };
    const asked = await reschedule(c, booked.body.id, { window });
    expect(asked.body).toMatchObject({ code: "PRICE_CHANGED", total: { amount: 18000 }, start: at(w, 3, "18:00") });
    expect(await orderRow(booked.body.id)).toEqual(before);
    const done = await reschedule(c, booked.body.id, { window, quoteId: asked.body.quoteId });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body).toMatchObject({ start: at(w, 3, "18:00"), window, total: { amount: 18000 } });
    const entry = done.body.timeline.at(-1);
    expect(entry.reason).toBe("rescheduled to a new window, price changed");
    expect(entry.note.en).toContain("Window");
    expect(entry.note.en).toContain("¥180.00");
    expect(entry.note.zh).toContain("预约时段");
    expect(entry.note.zh).toContain("¥180.00");
  });
});
