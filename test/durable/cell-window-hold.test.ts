import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clashes, DEFAULT_TRAVEL, type Placed } from "../../src/domain/calendar";
import { addProfile, freshCell, HOUR, profile, shanghaiAt, SHANGHAI } from "../support/cell";

const MINUTE = 60_000;
/** 08:00 and 20:00 local: the default shift of the day the tests use. */
const shiftFrom = () => shanghaiAt(-2);
const shiftTo = () => shanghaiAt(10);

/** A point within a few km of the centre: travel gaps differ from job to job. */
const near = (k: number) => ({ lat: SHANGHAI.lat + (k % 5) * 0.01, lng: SHANGHAI.lng + Math.floor(k / 5) * 0.01 });

describe("CellDO.holdInWindow", () => {
  it("holds the earliest start after the jobs already there, travel gap included", async () => {
    const { stub } = freshCell("window");
    await addProfile(stub, profile("t1"));
    const nine = shanghaiAt(-1);
    // 09:00–10:00 booked at the same point: the next job may start at 10:10 (the 10-minute buffer).
    expect((await stub.hold({ technicianId: "t1", orderId: "fixed", start: nine, end: nine + HOUR, ttlMs: HOUR, ...SHANGHAI })).ok).toBe(
      true,
    );
    const r = await stub.holdInWindow({
      technicianId: "t1",
      orderId: "flex",
      start: nine,
      end: nine + 2 * HOUR,
      latestStart: nine + HOUR + 30 * MINUTE,
      ttlMs: HOUR,
      ...SHANGHAI,
    });
    expect(r).toMatchObject({ ok: true, replayed: false, start: nine + HOUR + 10 * MINUTE, end: nine + 3 * HOUR + 10 * MINUTE });
    // the same request again is the same hold
    const again = await stub.holdInWindow({
      technicianId: "t1",
      orderId: "flex",
      start: nine,
      end: nine + 2 * HOUR,
      latestStart: nine + HOUR + 30 * MINUTE,
      ttlMs: HOUR,
      ...SHANGHAI,
    });
    expect(again).toMatchObject({ ok: true, replayed: true, start: nine + HOUR + 10 * MINUTE });
  });

  it("refuses when no start in the window fits, and holds nothing", async () => {
    const { stub } = freshCell("window");
    await addProfile(stub, profile("t1"));
    const nine = shanghaiAt(-1);
    await stub.hold({ technicianId: "t1", orderId: "fixed", start: nine, end: nine + 3 * HOUR, ttlMs: HOUR, ...SHANGHAI });
    const r = await stub.holdInWindow({
      technicianId: "t1",
      orderId: "flex",
      start: nine,
      end: nine + HOUR,
      latestStart: nine + 2 * HOUR,
      ttlMs: HOUR,
      ...SHANGHAI,
    });
    expect(r).toMatchObject({ ok: false, code: "SLOT_UNAVAILABLE" });
    const sched = await stub.schedule("t1", nine - HOUR, nine + 6 * HOUR);
    expect(sched.ok && sched.items.map((i) => i.orderId)).toEqual(["fixed"]);
  });

  it("refuses a window that ends before it starts", async () => {
    const { stub } = freshCell("window");
    await addProfile(stub, profile("t1"));
    const nine = shanghaiAt(-1);
    const r = await stub.holdInWindow({
      technicianId: "t1",
      orderId: "flex",
      start: nine,
      end: nine + HOUR,
      latestStart: nine - HOUR,
      ttlMs: HOUR,
      ...SHANGHAI,
    });
    expect(r).toMatchObject({ ok: false, code: "INVALID_INTERVAL" });
  });

  it("holds the earliest whole-minute start inside the window that clashes with nothing, or nothing when none fits (property)", async () => {
    const job = fc.record({
      slot: fc.integer({ min: 0, max: 47 }),
      len: fc.integer({ min: 1, max: 8 }),
      at: fc.integer({ min: 0, max: 24 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(job, { maxLength: 8 }),
        fc.record({
          from: fc.integer({ min: 0, max: 13 * 60 }),
          length: fc.integer({ min: 0, max: 6 * 60 }),
          duration: fc.integer({ min: 15, max: 180 }),
          at: fc.integer({ min: 0, max: 24 }),
        }),
        async (fixed, w) => {
          const { stub } = freshCell("window-prop");
          await addProfile(stub, profile("t1"));
          const base = shiftFrom() - HOUR; // 07:00, so some windows start before the shift
          const placed: Placed[] = [];
          for (const [k, f] of fixed.entries()) {
            const start = base + f.slot * 15 * MINUTE;
            const r = await stub.hold({
              technicianId: "t1",
              orderId: `f${k}`,
              start,
              end: start + f.len * 15 * MINUTE,
              ttlMs: HOUR,
              ...near(f.at),
            });
            if (r.ok) placed.push({ start, end: start + f.len * 15 * MINUTE, ...near(f.at) });
          }
          const start = base + w.from * MINUTE;
          const duration = w.duration * MINUTE;
          const latestStart = start + w.length * MINUTE;
          const point = near(w.at);
          const fits = (s: number) =>
            s >= shiftFrom() &&
            s + duration <= shiftTo() &&
            placed.every((p) => !clashes(p, { start: s, end: s + duration, ...point }, DEFAULT_TRAVEL));
          const r = await stub.holdInWindow({
            technicianId: "t1",
            orderId: "flex",
            start,
            end: start + duration,
            latestStart,
            ttlMs: HOUR,
            ...point,
          });
          if (r.ok) {
            expect(r.start).toBeGreaterThanOrEqual(start);
            expect(r.start).toBeLessThanOrEqual(latestStart);
            expect(r.end - r.start).toBe(duration);
            expect(r.start % MINUTE).toBe(0);
            expect(fits(r.start)).toBe(true);
            // no earlier whole minute of the window would have fitted
            for (let s = Math.ceil(start / MINUTE) * MINUTE; s < r.start; s += MINUTE) expect(fits(s)).toBe(false);
          } else {
            expect(r.code === "SLOT_UNAVAILABLE" || r.code === "OUTSIDE_SHIFT").toBe(true);
            for (let s = Math.ceil(start / MINUTE) * MINUTE; s <= latestStart; s += MINUTE) expect(fits(s)).toBe(false);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
