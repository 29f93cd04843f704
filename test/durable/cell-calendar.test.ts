import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { CellDO } from "../../durable/cell.do";
import { clashes, DEFAULT_TRAVEL } from "../../src/domain/calendar";
import {
  addProfile,
  cellDeadline,
  cellHistory,
  cellOutbox,
  expireAllHolds,
  storedCounts,
  freshCell,
  HOUR,
  profile,
  shanghaiAt,
  SHANGHAI,
} from "../support/cell";

let faults = 0;

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

const hold = (technicianId: string, orderId: string, start: number, end: number, ttlMs = 15 * 60_000, where = SHANGHAI) => ({
  technicianId,
  orderId,
  start,
  end,
  ttlMs,
  ...where,
});

describe("CellDO calendar", () => {
  it("holds, confirms, and answers the same hold again idempotently", async () => {
    const { stub } = freshCell();
    await addProfile(stub, profile("t1"));
    const s = shanghaiAt(0);
    const h = await stub.hold(hold("t1", "o1", s, s + 2 * HOUR));
    expect(h).toMatchObject({ ok: true, replayed: false });
    expect(await stub.hold(hold("t1", "o1", s, s + 2 * HOUR))).toMatchObject({ ok: true, replayed: true });
    expect(await stub.hold(hold("t1", "o1", s + HOUR, s + 3 * HOUR))).toEqual({ ok: false, code: "ORDER_CONFLICT" });
    expect(await stub.confirm("o1")).toMatchObject({ ok: true, item: { state: "booked", expiresAt: null } });
    expect(await stub.confirm("o1")).toMatchObject({ ok: true });
    const sched = await stub.schedule("t1", s - HOUR, s + 5 * HOUR);
    expect(sched.ok && sched.items.map((i) => [i.orderId, i.state])).toEqual([["o1", "booked"]]);
  });

  it("books a hold and arms the order's deadline in one call, arming it even when the hold is gone", async () => {
    const { stub } = freshCell();
    await addProfile(stub, profile("t1"));
    const s = shanghaiAt(0);
    expect((await stub.hold(hold("t1", "o1:1", s, s + 2 * HOUR))).ok).toBe(true);
    const due = Date.now() + 60_000;
    expect(await stub.confirmAndSetDeadline("o1:1", { orderId: "o1", kind: "accept", dueAt: due, version: 2 })).toMatchObject({
      ok: true,
      item: { state: "booked", expiresAt: null },
    });
    expect(await cellDeadline(stub, "o1")).toEqual({ orderId: "o1", kind: "accept", dueAt: due, version: 2 });
    // No hold under that key: the confirm's refusal is the answer, and the deadline is armed all the same.
    expect(await stub.confirmAndSetDeadline("o2:1", { orderId: "o2", kind: "grab", dueAt: due, version: 2 })).toMatchObject({ ok: false });
    expect(await cellDeadline(stub, "o2")).toEqual({ orderId: "o2", kind: "grab", dueAt: due, version: 2 });
  });

  it("refuses a clash, counting travel and the buffer between jobs", async () => {
    const { stub } = freshCell();
    await addProfile(stub, profile("t1"));
    const s = shanghaiAt(0);
    expect((await stub.hold(hold("t1", "a", s, s + HOUR))).ok).toBe(true);
    // same address, back to back: the 10-minute buffer is missing
    expect(await stub.hold(hold("t1", "b", s + HOUR, s + 2 * HOUR))).toMatchObject({ ok: false, code: "SLOT_UNAVAILABLE", clashWith: "a" });
    // 20 km away: an hour later is still too soon
    const far = { lat: SHANGHAI.lat + 0.18, lng: SHANGHAI.lng };
    expect(await stub.hold(hold("t1", "c", s + 2 * HOUR, s + 3 * HOUR, 60_000, far))).toMatchObject({
      ok: false,
      code: "SLOT_UNAVAILABLE",
    });
    expect((await stub.hold(hold("t1", "d", s + 2.5 * HOUR, s + 3.5 * HOUR, 60_000, far))).ok).toBe(true);
    // same address after the buffer
    expect((await stub.hold(hold("t1", "e", s - 1.25 * HOUR, s - 0.25 * HOUR))).ok).toBe(true);
  });

  it("refuses holds outside shifts unless told to ignore them, and unknown technicians", async () => {
    const { stub } = freshCell();
    await addProfile(stub, profile("t1"));
    const night = shanghaiAt(12); // 22:00 local, after the default 08:00–20:00
    expect(await stub.hold(hold("t1", "n", night, night + HOUR))).toEqual({ ok: false, code: "OUTSIDE_SHIFT" });
    expect((await stub.hold({ ...hold("t1", "n", night, night + HOUR), ignoreShifts: true })).ok).toBe(true);
    expect(await stub.hold(hold("nobody", "x", night, night + HOUR))).toEqual({ ok: false, code: "UNKNOWN_TECHNICIAN" });
    expect(await stub.hold(hold("t1", "bad", night, night))).toEqual({ ok: false, code: "INVALID_INTERVAL" });
  });

  it("releases idempotently and frees the interval", async () => {
    const { stub } = freshCell();
    await addProfile(stub, profile("t1"));
    const s = shanghaiAt(0);
    await stub.hold(hold("t1", "o", s, s + HOUR));
    expect(await stub.release("o")).toEqual({ ok: true, released: true });
    expect(await stub.release("o")).toEqual({ ok: true, released: false });
    expect((await stub.hold(hold("t1", "p", s, s + HOUR))).ok).toBe(true);
  });

  it("reschedules atomically: a failed move keeps the old interval", async () => {
    const { stub } = freshCell();
    await addProfile(stub, profile("t1"));
    const s = shanghaiAt(0);
    await stub.hold(hold("t1", "a", s, s + HOUR));
    await stub.hold(hold("t1", "b", s + 3 * HOUR, s + 4 * HOUR));
    expect(await stub.reschedule("a", s + 3 * HOUR, s + 4 * HOUR)).toMatchObject({ ok: false, code: "SLOT_UNAVAILABLE" });
    let sched = await stub.schedule("t1", s - HOUR, s + 6 * HOUR);
    expect(sched.ok && sched.items.map((i) => [i.orderId, i.start])).toEqual([
      ["a", s],
      ["b", s + 3 * HOUR],
    ]);
    expect(await stub.reschedule("a", s + HOUR, s + 2 * HOUR)).toMatchObject({ ok: true, item: { start: s + HOUR } });
    expect(await stub.reschedule("a", s + HOUR, s + 2 * HOUR)).toMatchObject({ ok: true });
    sched = await stub.schedule("t1", s - HOUR, s + 6 * HOUR);
    expect(sched.ok && sched.items.map((i) => i.start)).toEqual([s + HOUR, s + 3 * HOUR]);
    // the freed hour is bookable again
    expect((await stub.hold(hold("t1", "c", s - 0.5 * HOUR, s + 0.5 * HOUR))).ok).toBe(true);
    expect(await stub.reschedule("missing", s, s + HOUR)).toEqual({ ok: false, code: "UNKNOWN_ORDER" });
  });
});

describe("CellDO concurrency", () => {
  it("50 parallel holds on one technician and slot: exactly one wins", async () => {
    const { stub } = freshCell();
    await addProfile(stub, profile("t1"));
    const s = shanghaiAt(0);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => stub.hold(hold("t1", `o${i}`, s, s + 2 * HOUR))));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.code === "SLOT_UNAVAILABLE")).toHaveLength(49);
  });

  it("50 parallel holds on overlapping intervals leave no overlap", async () => {
    const { stub } = freshCell();
    await addProfile(stub, profile("t1"));
    const s = shanghaiAt(-2);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => stub.hold(hold("t1", `o${i}`, s + i * 10 * 60_000, s + i * 10 * 60_000 + 90 * 60_000))),
    );
    const won = results.filter((r) => r.ok).length;
    expect(won).toBeGreaterThan(1);
    const sched = await stub.schedule("t1", s - HOUR, s + 24 * HOUR);
    if (!sched.ok) throw new Error("schedule failed");
    expect(sched.items).toHaveLength(won);
    for (const a of sched.items) for (const b of sched.items) if (a !== b) expect(clashes(a, b, DEFAULT_TRAVEL)).toBe(false);
  });
});

describe("CellDO hold expiry", () => {
  it("expires a hold through the alarm on its own, exactly once, and frees the slot", async () => {
    const { stub } = freshCell();
    await addProfile(stub, profile("t1"));
    const s = shanghaiAt(0);
    await stub.hold(hold("t1", "o", s, s + HOUR, 50));
    // Only the alarm runs in between: read raw storage, which expires nothing by itself.
    const raw = () => storedCounts(stub);
    expect(await raw()).toEqual({ held: 1, expired: 0 });
    await waitFor(async () => (await raw()).expired === 1);
    expect(await raw()).toEqual({ held: 0, expired: 1 });
    expect(await stub.confirm("o")).toEqual({ ok: false, code: "HOLD_EXPIRED" });
    expect((await stub.hold(hold("t1", "p", s, s + HOUR))).ok).toBe(true);
  });

  it("never treats an expired hold as held, even before the alarm runs", async () => {
    const { stub } = freshCell();
    await addProfile(stub, profile("t1"));
    const s = shanghaiAt(0);
    await stub.hold(hold("t1", "o", s, s + HOUR, 1));
    await new Promise((r) => setTimeout(r, 5));
    expect((await stub.hold(hold("t1", "p", s, s + HOUR))).ok).toBe(true);
    expect(await stub.confirm("o")).toEqual({ ok: false, code: "HOLD_EXPIRED" });
    const sched = await stub.schedule("t1", s - HOUR, s + 2 * HOUR);
    expect(sched.ok && sched.items.map((i) => i.orderId)).toEqual(["p"]);
  });

  it("retries an alarm that throws and still expires each hold exactly once, with one event each for the Worker", async () => {
    const { name, stub } = freshCell();
    await addProfile(stub, profile("t1"));
    const s = shanghaiAt(0);
    for (let i = 0; i < 3; i++) await stub.hold(hold("t1", `o${i}`, s + i * 2 * HOUR, s + i * 2 * HOUR + HOUR, HOUR));
    // Let the holds fall due now, and make the first alarm run fail midway: its second expiry
    // event write throws, so the whole transaction rolls back and the runtime retries the alarm.
    await expireAllHolds(stub);
    await runInDurableObject(stub, async (_instance: CellDO, state) => {
      const sql = state.storage.sql;
      const exec = sql.exec.bind(sql);
      let events = 0;
      sql.exec = ((query: string, ...args: unknown[]) => {
        if (query.startsWith("INSERT INTO events") && ++events === 2) {
          faults += 1;
          throw new Error("injected storage fault");
        }
        return exec(query, ...args);
      }) as typeof sql.exec;
      await state.storage.setAlarm(Date.now());
    });
    const expiredCount = async () => (await storedCounts(stub)).expired;
    await waitFor(async () => (await expiredCount()) === 3, 20_000);
    expect(faults).toBe(1);
    for (let i = 0; i < 3; i++) expect((await cellHistory(stub, `o${i}`)).filter((e) => e.kind === "hold.expired")).toHaveLength(1);
    const sent = async () => (await cellOutbox(name)).filter((e) => e.type === "hold.expired");
    await waitFor(async () => (await sent()).every((e) => e.sentAt !== null));
    expect((await sent()).map((e) => e.type === "hold.expired" && e.holdKey).sort()).toEqual(["o0", "o1", "o2"]);
    // running the alarm again changes nothing
    await runInDurableObject(stub, (instance: CellDO) => instance.alarm());
    expect(await expiredCount()).toBe(3);
    expect(await sent()).toHaveLength(3);
  });

  it("keeps holds and bookings across eviction", async () => {
    const { stub } = freshCell();
    await addProfile(stub, profile("t1"));
    const s = shanghaiAt(0);
    await stub.hold(hold("t1", "a", s, s + HOUR));
    await stub.hold(hold("t1", "b", s + 2 * HOUR, s + 3 * HOUR));
    await stub.confirm("b");
    await evictDurableObject(stub);
    const sched = await stub.schedule("t1", s - HOUR, s + 4 * HOUR);
    expect(sched.ok && sched.items.map((i) => [i.orderId, i.state])).toEqual([
      ["a", "held"],
      ["b", "booked"],
    ]);
    expect(await stub.hold(hold("t1", "c", s, s + HOUR))).toMatchObject({ ok: false, code: "SLOT_UNAVAILABLE" });
  });
});
