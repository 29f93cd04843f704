import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clashes, DEFAULT_TRAVEL } from "../../src/domain/calendar";
import { addProfile, freshCell, HOUR, profile, shanghaiAt, SHANGHAI } from "../support/cell";

const KM_LAT = 1 / 111.2; // degrees of latitude per km
const north = (km: number) => ({ lat: SHANGHAI.lat + km * KM_LAT, lng: SHANGHAI.lng });
const MINUTE = 60_000;
const NO_FACTS = { earnings: {}, acceptance: {}, favourites: {}, merchants: {} };

type Stub = ReturnType<typeof freshCell>["stub"];

const job = (holdKey: string, window?: { start: number; latestStart: number }) => ({
  holdKey,
  orderId: `ord_${holdKey}`,
  customerId: "acc_c",
  skills: ["cleaning"],
  exclude: [],
  ...(window ? { window } : {}),
});

async function itemsOf(stub: Stub, techs: string[], from: number, to: number) {
  const out = [];
  for (const t of techs) {
    const s = await stub.schedule(t, from, to);
    if (!s.ok) throw new Error("schedule failed");
    out.push(...s.items);
  }
  return out;
}

function expectNoClash(items: { technicianId: string; start: number; end: number; lat: number; lng: number; orderId: string }[]) {
  for (let a = 0; a < items.length; a++)
    for (let b = a + 1; b < items.length; b++)
      if (items[a]!.technicianId === items[b]!.technicianId) expect(clashes(items[a]!, items[b]!, DEFAULT_TRAVEL)).toBe(false);
}

describe("batched dispatch of flexible-window jobs in the cell", () => {
  it("moves a window job to another technician at another start inside its window, and says so in the decision", async () => {
    const { stub } = freshCell("batchwin");
    // A lives 2 km south, B 2 km north. The window job (2.5 km north, 2 h, window s..s+5h) was held
    // on A at s; B is busy s..s+2h with a fixed job next door, so B can take it only later.
    await addProfile(stub, profile("A", { home: north(-2) }));
    await addProfile(stub, profile("B", { home: north(2) }));
    const s = shanghaiAt(-1); // 09:00 local
    expect((await stub.hold({ technicianId: "B", orderId: "x", start: s, end: s + 2 * HOUR, ttlMs: HOUR, ...north(2) })).ok).toBe(true);
    await stub.confirm("x");
    expect((await stub.hold({ technicianId: "A", orderId: "w", start: s, end: s + 2 * HOUR, ttlMs: HOUR, ...north(2.5) })).ok).toBe(true);
    await stub.confirm("w");
    const window = { start: s, latestStart: s + 3 * HOUR };

    // as a fixed-time job it stays on A (B has no room at s)
    const fixedCell = freshCell("batchwin");
    await addProfile(fixedCell.stub, profile("A", { home: north(-2) }));
    await addProfile(fixedCell.stub, profile("B", { home: north(2) }));
    await fixedCell.stub.hold({ technicianId: "B", orderId: "x", start: s, end: s + 2 * HOUR, ttlMs: HOUR, ...north(2) });
    await fixedCell.stub.hold({ technicianId: "A", orderId: "w", start: s, end: s + 2 * HOUR, ttlMs: HOUR, ...north(2.5) });
    await fixedCell.stub.enqueueBatch(job("w"), HOUR);
    const fixed = await fixedCell.stub.tickBatch(NO_FACTS, ["w"]);
    expect(fixed.decisions).toMatchObject([{ holdKey: "w", from: "A", to: "A" }]);
    expect(fixed.decisions[0]!.held).toBeUndefined();

    // as a window job it goes to B, at the first start after x plus the travel gap
    expect(await stub.enqueueBatch(job("w", window), HOUR)).toEqual({ ok: true });
    const { decisions } = await stub.tickBatch(NO_FACTS, ["w"]);
    expect(decisions).toHaveLength(1);
    const d = decisions[0]!;
    expect(d).toMatchObject({ holdKey: "w", from: "A", to: "B" });
    expect(d.held!.from).toBe(s);
    expect(d.held!.start).toBeGreaterThan(s + 2 * HOUR);
    expect(d.held!.start).toBeLessThanOrEqual(window.latestStart);
    expect(d.held!.start % MINUTE).toBe(0);
    expect(d.held!.end - d.held!.start).toBe(2 * HOUR);
    const b = await stub.schedule("B", s - HOUR, s + 8 * HOUR);
    expect(b.ok && b.items.map((i) => [i.orderId, i.start, i.end, i.state])).toEqual([
      ["x", s, s + 2 * HOUR, "booked"],
      ["w", d.held!.start, d.held!.end, "booked"],
    ]);
    const a = await stub.schedule("A", s - HOUR, s + 8 * HOUR);
    expect(a.ok && a.items).toEqual([]);
    // one minute earlier would clash with x's travel gap: it is the earliest start B can take
    expect(
      clashes(
        { ...north(2), start: s, end: s + 2 * HOUR },
        { ...north(2.5), start: d.held!.start - MINUTE, end: d.held!.end - MINUTE },
        DEFAULT_TRAVEL,
      ),
    ).toBe(true);
  });

  it("never makes an overlap, keeps fixed-time jobs at their start and window jobs inside their windows (property)", async () => {
    const day = shanghaiAt(-1); // 09:00 local
    let movedInWindow = 0;
    const arbitrary = fc.record({
      techs: fc.array(fc.double({ min: -4, max: 4, noNaN: true }), { minLength: 1, maxLength: 4 }),
      jobs: fc.array(
        fc.record({
          at: fc.double({ min: -4, max: 4, noNaN: true }),
          slot: fc.integer({ min: 0, max: 6 }),
          len: fc.integer({ min: 1, max: 3 }),
          // half-hours of room after the start (0: a fixed-time job)
          room: fc.integer({ min: 0, max: 8 }),
          // the technician first come tries first (then the others in turn)
          pick: fc.nat(),
        }),
        { minLength: 1, maxLength: 9 },
      ),
    });
    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ techs, jobs }) => {
        const { stub } = freshCell("batchwinprop");
        const ids = techs.map((_, i) => `t${i}`);
        for (const [i, km] of techs.entries()) await addProfile(stub, profile(ids[i]!, { home: north(km) }));
        const placed = new Map<string, { start: number; len: number; window?: { start: number; latestStart: number }; state: string }>();
        for (const [n, j] of jobs.entries()) {
          const start = day + j.slot * (HOUR / 2);
          const len = j.len * HOUR;
          const window = j.room > 0 ? { start, latestStart: start + j.room * (HOUR / 2) } : undefined;
          const req = { orderId: `p${n}`, start, end: start + len, ttlMs: 6 * HOUR, ...north(j.at) };
          for (const t of ids.map((_, k) => ids[(j.pick + k) % ids.length]!)) {
            const r = window
              ? await stub.holdInWindow({ ...req, technicianId: t, latestStart: window.latestStart })
              : await stub.hold({ ...req, technicianId: t });
            if (r.ok) {
              if (n % 2 === 0) await stub.confirm(req.orderId);
              const heldAt = "start" in r ? (r.start as number) : start;
              placed.set(req.orderId, { start: heldAt, len, window, state: n % 2 === 0 ? "booked" : "held" });
              await stub.enqueueBatch(job(req.orderId, window), HOUR);
              break;
            }
          }
        }
        const input = await stub.batchInput();
        const { decisions } = await stub.tickBatch(
          NO_FACTS,
          input.jobs.map((j) => j.holdKey),
        );
        const all = await itemsOf(stub, ids, day - 2 * HOUR, day + 16 * HOUR);
        expectNoClash(all);
        expect(all.map((i) => i.orderId).sort()).toEqual([...placed.keys()].sort());
        for (const [key, p] of placed) {
          const item = all.find((i) => i.orderId === key)!;
          expect(item.state).toBe(p.state);
          expect(item.end - item.start).toBe(p.len);
          if (!p.window) expect(item.start).toBe(p.start);
          else {
            expect(item.start).toBeGreaterThanOrEqual(p.window.start);
            expect(item.start).toBeLessThanOrEqual(p.window.latestStart);
          }
          // the decision says where it is now
          const d = decisions.find((x) => x.holdKey === key)!;
          expect(d.to).toBe(item.technicianId);
          if (item.start === p.start) expect(d.held).toBeUndefined();
          else {
            expect(d.held).toEqual({ from: p.start, start: item.start, end: item.end });
            movedInWindow += 1;
          }
        }
        for (const d of decisions) expect(d.batch.cost).toBeLessThanOrEqual(d.batch.keptCost + 1e-9);
      }),
      { numRuns: 40, seed: 20261205 },
    );
    // the runs did move window jobs to other starts (the property is not vacuous)
    expect(movedInWindow).toBeGreaterThan(0);
  });

  it("never makes an overlap when bookings land while ticks run (concurrency)", async () => {
    const { stub } = freshCell("batchwinrace");
    const ids = ["A", "B", "C"];
    for (const [i, t] of ids.entries()) await addProfile(stub, profile(t, { home: north(i - 1) }));
    const s = shanghaiAt(-1);
    // six window jobs waiting, then ticks and new holds (fixed and window) all at once
    for (let n = 0; n < 6; n++) {
      const req = { orderId: `q${n}`, start: s + n * (HOUR / 2), end: s + n * (HOUR / 2) + HOUR, ttlMs: 6 * HOUR, ...north(n - 3) };
      for (const t of ids) {
        if ((await stub.holdInWindow({ ...req, technicianId: t, latestStart: req.start + 3 * HOUR })).ok) {
          await stub.enqueueBatch(job(req.orderId, { start: req.start, latestStart: req.start + 3 * HOUR }), HOUR);
          break;
        }
      }
    }
    const keys = (await stub.batchInput()).jobs.map((j) => j.holdKey);
    const racing = await Promise.all([
      stub.tickBatch(NO_FACTS, keys),
      ...Array.from({ length: 12 }, (_, n) => {
        const start = s + (n % 6) * (HOUR / 2);
        const req = { technicianId: ids[n % 3]!, orderId: `r${n}`, start, end: start + HOUR, ttlMs: 6 * HOUR, ...north((n % 5) - 2) };
        return n % 2 === 0 ? stub.hold(req) : stub.holdInWindow({ ...req, latestStart: start + 2 * HOUR });
      }),
      stub.tickBatch(NO_FACTS, keys),
    ]);
    expect(racing[0]!.ok).toBe(true);
    const all = await itemsOf(stub, ids, s - 2 * HOUR, s + 12 * HOUR);
    expectNoClash(all);
    // every waiting job is still held exactly once
    for (const k of keys) expect(all.filter((i) => i.orderId === k)).toHaveLength(1);
  });
});
