import { env } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runBatchTick } from "../../src/cells/cell-events.consumer";
import { clashes, DEFAULT_TRAVEL } from "../../src/domain/calendar";
import { addProfile, batchState, cellHistory, freshCell, HOUR, profile, runBatch, shanghaiAt, SHANGHAI } from "../support/cell";

const KM_LAT = 1 / 111.2; // degrees of latitude per km
const north = (km: number) => ({ lat: SHANGHAI.lat + km * KM_LAT, lng: SHANGHAI.lng });

type Stub = ReturnType<typeof freshCell>["stub"];

const job = (holdKey: string) => ({ holdKey, orderId: `ord_${holdKey}`, customerId: "acc_c", skills: ["cleaning"], exclude: [] });

async function holder(stub: Stub, techs: string[], orderId: string, from: number, to: number): Promise<string[]> {
  const out: string[] = [];
  for (const t of techs) {
    const s = await stub.schedule(t, from, to);
    if (s.ok && s.items.some((i) => i.orderId === orderId)) out.push(t);
  }
  return out;
}

describe("batched dispatch in the cell", () => {
  it("swaps two crossed jobs to the cheaper assignment in one step, keeping their state", async () => {
    const { name, stub } = freshCell("batch");
    // A lives 2 km south of the centre, B 2 km north. Job 1 is 0.4 km south (A is nearer, so first
    // come took A); job 2 is 2.5 km south, right by A, and had to take B.
    await addProfile(stub, profile("A", { home: north(-2) }));
    await addProfile(stub, profile("B", { home: north(2) }));
    const s = shanghaiAt(0);
    expect((await stub.hold({ technicianId: "A", orderId: "j1", start: s, end: s + HOUR, ttlMs: HOUR, ...north(-0.4) })).ok).toBe(true);
    expect((await stub.hold({ technicianId: "B", orderId: "j2", start: s, end: s + HOUR, ttlMs: HOUR, ...north(-2.5) })).ok).toBe(true);
    await stub.confirm("j1");

    expect(await stub.enqueueBatch(job("j1"), HOUR)).toEqual({ ok: true });
    expect(await stub.enqueueBatch(job("j2"), HOUR)).toEqual({ ok: true });
    expect(await stub.enqueueBatch(job("j2"), HOUR)).toEqual({ ok: true }); // idempotent
    expect(await stub.enqueueBatch(job("nope"), HOUR)).toEqual({ ok: false, code: "UNKNOWN_ORDER" });
    const before = await batchState(stub);
    expect(before.waiting.map((j) => j.holdKey)).toEqual(["j1", "j2"]);
    expect(before.dueAt).toBeGreaterThan(Date.now() + HOUR / 2);

    // the alarm sends the due tick to the Worker, which runs it in the cell and acts on its decisions
    expect((await runBatch(name)).explicitAcks).toHaveLength(1);

    expect(await holder(stub, ["A", "B"], "j1", s - HOUR, s + 2 * HOUR)).toEqual(["B"]);
    expect(await holder(stub, ["A", "B"], "j2", s - HOUR, s + 2 * HOUR)).toEqual(["A"]);
    const b = await stub.schedule("B", s - HOUR, s + 2 * HOUR);
    expect(b.ok && b.items.map((i) => [i.orderId, i.state])).toEqual([["j1", "booked"]]);
    const a = await stub.schedule("A", s - HOUR, s + 2 * HOUR);
    expect(a.ok && a.items.map((i) => [i.orderId, i.state])).toEqual([["j2", "held"]]);
    expect((await cellHistory(stub, "j1")).map((e) => e.kind)).toContain("interval.moved");
    // acted on (no orders in the records to offer): nothing waits any more
    expect(await batchState(stub)).toEqual({ waiting: [], decided: 0, dueAt: null });
  });

  it("drops a job whose interval went away before the tick and matches the rest", async () => {
    const { name, stub } = freshCell("batch");
    await addProfile(stub, profile("A"));
    const s = shanghaiAt(0);
    await stub.hold({ technicianId: "A", orderId: "k1", start: s, end: s + HOUR, ttlMs: HOUR, ...SHANGHAI });
    await stub.hold({ technicianId: "A", orderId: "k2", start: s + 3 * HOUR, end: s + 4 * HOUR, ttlMs: HOUR, ...SHANGHAI });
    await stub.enqueueBatch(job("k1"), HOUR);
    await stub.enqueueBatch(job("k2"), HOUR);
    await stub.release("k1");
    await runBatch(name);
    expect(await holder(stub, ["A"], "k2", s, s + 5 * HOUR)).toEqual(["A"]);
    expect(await batchState(stub)).toEqual({ waiting: [], decided: 0, dueAt: null });
  });

  it("keeps a tick's jobs until the Worker has acted on them, across a failing hand-off", async () => {
    const { name, stub } = freshCell("batch");
    await addProfile(stub, profile("A", { home: north(-2) }));
    await addProfile(stub, profile("B", { home: north(2) }));
    const s = shanghaiAt(0);
    await stub.hold({ technicianId: "A", orderId: "m1", start: s, end: s + HOUR, ttlMs: HOUR, ...north(-0.4) });
    await stub.hold({ technicianId: "B", orderId: "m2", start: s, end: s + HOUR, ttlMs: HOUR, ...north(-2.5) });
    await stub.enqueueBatch(job("m1"), HOUR);
    await stub.enqueueBatch(job("m2"), HOUR);
    // The records are unreachable for the first run: scoring history fails, nothing moves.
    const outage = {
      ...env,
      DB: {
        prepare: () => {
          throw new Error("injected D1 outage");
        },
        batch: () => Promise.reject(new Error("injected D1 outage")),
      } as unknown as D1Database,
    };
    await expect(runBatchTick(outage, name)).rejects.toThrow("injected D1 outage");
    expect((await batchState(stub)).waiting).toHaveLength(2);
    expect(await holder(stub, ["A", "B"], "m1", s - HOUR, s + 2 * HOUR)).toEqual(["A"]);
    // the queue retries the event: now it goes through
    await runBatchTick(env, name);
    expect(await holder(stub, ["A", "B"], "m1", s - HOUR, s + 2 * HOUR)).toEqual(["B"]);
    expect(await batchState(stub)).toEqual({ waiting: [], decided: 0, dueAt: null });
  });

  it("never leaves an overlap or a lost job, and never costs more than keeping every job where it was (property)", async () => {
    const day = shanghaiAt(-1); // 09:00 local
    const arbitrary = fc.record({
      techs: fc.array(fc.double({ min: -4, max: 4, noNaN: true }), { minLength: 1, maxLength: 4 }),
      jobs: fc.array(
        fc.record({
          at: fc.double({ min: -4, max: 4, noNaN: true }),
          slot: fc.integer({ min: 0, max: 6 }),
          len: fc.integer({ min: 1, max: 3 }),
        }),
        { minLength: 1, maxLength: 6 },
      ),
    });
    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ techs, jobs }) => {
        const { stub } = freshCell("batchprop");
        const ids = techs.map((_, i) => `t${i}`);
        for (const [i, km] of techs.entries()) await addProfile(stub, profile(ids[i]!, { home: north(km) }));
        const placed: { key: string; start: number; end: number; lat: number; lng: number; state: string }[] = [];
        for (const [n, j] of jobs.entries()) {
          const start = day + j.slot * HOUR;
          const req = { orderId: `p${n}`, start, end: start + j.len * HOUR, ttlMs: 6 * HOUR, ...north(j.at) };
          // first come, first served: the first technician with room takes it
          for (const t of ids) {
            if ((await stub.hold({ ...req, technicianId: t })).ok) {
              if (n % 2 === 0) await stub.confirm(req.orderId);
              placed.push({
                key: req.orderId,
                start: req.start,
                end: req.end,
                lat: req.lat,
                lng: req.lng,
                state: n % 2 === 0 ? "booked" : "held",
              });
              await stub.enqueueBatch(job(req.orderId), HOUR);
              break;
            }
          }
        }
        // the tick as the Worker runs it, with no history in the records
        const input = await stub.batchInput();
        const { decisions } = await stub.tickBatch(
          { earnings: {}, acceptance: {}, favourites: {}, merchants: {} },
          input.jobs.map((j) => j.holdKey),
        );

        const all = [];
        for (const t of ids) {
          const sched = await stub.schedule(t, day - 2 * HOUR, day + 12 * HOUR);
          if (!sched.ok) throw new Error("schedule failed");
          all.push(...sched.items);
          for (let a = 0; a < sched.items.length; a++)
            for (let b = a + 1; b < sched.items.length; b++) expect(clashes(sched.items[a]!, sched.items[b]!, DEFAULT_TRAVEL)).toBe(false);
        }
        // every placed job is still held exactly once, with its interval and state unchanged
        expect(all.map((i) => i.orderId).sort()).toEqual(placed.map((p) => p.key).sort());
        for (const p of placed) {
          const item = all.find((i) => i.orderId === p.key)!;
          expect([item.start, item.end, item.state]).toEqual([p.start, p.end, p.state]);
        }
        expect(decisions).toHaveLength(placed.length);
        for (const d of decisions) expect(d.batch.cost).toBeLessThanOrEqual(d.batch.keptCost + 1e-9);
      }),
      { numRuns: 25 },
    );
  });
});
