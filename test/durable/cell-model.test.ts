import { runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CellDO } from "../../durable/cell.do";
import { clashes, DEFAULT_TRAVEL } from "../../src/domain/calendar";
import { addProfile, freshCell, HOUR, makeDue, profile, shanghaiAt, SHANGHAI } from "../support/cell";

/** The calendar as a plain model: what the cell must agree with. */
interface ModelItem {
  tech: string;
  start: number;
  end: number;
  state: "held" | "booked";
}

const TECHS = ["t1", "t2", "t3"];
const BUFFER = DEFAULT_TRAVEL.bufferMinutes * 60_000;

const op = fc.oneof(
  fc.record({
    kind: fc.constant("hold" as const),
    tech: fc.constantFrom(...TECHS),
    order: fc.integer({ min: 0, max: 11 }),
    slot: fc.integer({ min: 0, max: 15 }),
    len: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({ kind: fc.constant("confirm" as const), order: fc.integer({ min: 0, max: 11 }) }),
  fc.record({ kind: fc.constant("release" as const), order: fc.integer({ min: 0, max: 11 }) }),
  fc.record({
    kind: fc.constant("reschedule" as const),
    order: fc.integer({ min: 0, max: 11 }),
    slot: fc.integer({ min: 0, max: 15 }),
    len: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({ kind: fc.constant("expire" as const), order: fc.integer({ min: 0, max: 11 }) }),
);

describe("CellDO against a model (property)", () => {
  it("agrees with the model on every step and never holds an overlap, buffers included", async () => {
    const day = shanghaiAt(-1); // 09:00 local; slots of 30 minutes up to 17:00, all inside 08:00–20:00
    const slotAt = (slot: number) => day + slot * 30 * 60_000;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
        const { stub } = freshCell("model");
        for (const t of TECHS) await addProfile(stub, profile(t));
        const model = new Map<string, ModelItem>();
        const free = (tech: string, start: number, end: number, except?: string) =>
          [...model.entries()].every(
            ([id, it]) => id === except || it.tech !== tech || it.end + BUFFER <= start || end + BUFFER <= it.start,
          );

        for (const o of ops) {
          const orderId = `o${o.order}`;
          const current = model.get(orderId);
          if (o.kind === "hold") {
            const start = slotAt(o.slot);
            const end = start + o.len * 30 * 60_000;
            const r = await stub.hold({ technicianId: o.tech, orderId, start, end, ttlMs: HOUR, ...SHANGHAI });
            if (current) {
              const same = current.tech === o.tech && current.start === start && current.end === end;
              expect(r.ok).toBe(same);
            } else {
              const ok = free(o.tech, start, end);
              expect(r.ok).toBe(ok);
              if (ok) model.set(orderId, { tech: o.tech, start, end, state: "held" });
            }
          } else if (o.kind === "confirm") {
            const r = await stub.confirm(orderId);
            expect(r.ok).toBe(current !== undefined);
            if (current) current.state = "booked";
          } else if (o.kind === "release") {
            const r = await stub.release(orderId);
            expect(r).toEqual({ ok: true, released: current !== undefined });
            model.delete(orderId);
          } else if (o.kind === "reschedule") {
            const start = slotAt(o.slot);
            const end = start + o.len * 30 * 60_000;
            const r = await stub.reschedule(orderId, start, end);
            const ok = current !== undefined && free(current.tech, start, end, orderId);
            expect(r.ok).toBe(ok);
            if (ok && current) Object.assign(current, { start, end });
          } else {
            // Time passes for this hold: it falls due and the alarm runs.
            await makeDue(stub, { hold: orderId });
            await runInDurableObject(stub, (instance: CellDO) => instance.alarm());
            if (current?.state === "held") model.delete(orderId);
          }
        }

        for (const tech of TECHS) {
          const sched = await stub.schedule(tech, day - 2 * HOUR, day + 12 * HOUR);
          if (!sched.ok) throw new Error("schedule failed");
          const expected = [...model.entries()]
            .filter(([, it]) => it.tech === tech)
            .map(([id, it]) => [id, it.start, it.end, it.state])
            .sort((a, b) => (a[1] as number) - (b[1] as number));
          expect(sched.items.map((i) => [i.orderId, i.start, i.end, i.state])).toEqual(expected);
          for (const a of sched.items) for (const b of sched.items) if (a !== b) expect(clashes(a, b, DEFAULT_TRAVEL)).toBe(false);
        }
      }),
      { numRuns: 40 },
    );
  });
});
