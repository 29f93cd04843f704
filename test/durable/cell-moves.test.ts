import { runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CellDO } from "../../durable/cell.do";
import type { CellMove } from "../../durable/cell.types";
import { clashes, DEFAULT_TRAVEL, insideWindows, shiftWindows } from "../../src/domain/calendar";
import { DEFAULT_WEEKLY_SHIFTS } from "../../src/domain/shifts";
import { localDate } from "../../src/domain/zoned";
import { addProfile, freshCell, HOUR, profile, shanghaiAt, SHANGHAI } from "../support/cell";

interface Row {
  orderId: string;
  technicianId: string;
  start: number;
  end: number;
  lat: number;
  lng: number;
  state: string;
  expiresAt: number | null;
}

/** Every interval the cell stores, by key. */
function stored(stub: DurableObjectStub<CellDO>): Promise<Row[]> {
  return runInDurableObject(stub, (_i: CellDO, state) =>
    state.storage.sql
      .exec<{
        order_id: string;
        technician_id: string;
        start_ms: number;
        end_ms: number;
        lat: number;
        lng: number;
        state: string;
        expires_at: number | null;
      }>("SELECT * FROM intervals ORDER BY order_id")
      .toArray()
      .map((r) => ({
        orderId: r.order_id,
        technicianId: r.technician_id,
        start: r.start_ms,
        end: r.end_ms,
        lat: r.lat,
        lng: r.lng,
        state: r.state,
        expiresAt: r.expires_at,
      })),
  );
}

/** True when no technician has two intervals that clash (travel gap and buffer included). */
function noClashes(rows: Row[]): boolean {
  for (const a of rows)
    for (const b of rows) if (a !== b && a.technicianId === b.technicianId && clashes(a, b, DEFAULT_TRAVEL)) return false;
  return true;
}

const inShift = (r: { start: number; end: number }) =>
  insideWindows(shiftWindows(DEFAULT_WEEKLY_SHIFTS, new Map(), localDate(r.start, "Asia/Shanghai"), "Asia/Shanghai"), r.start, r.end);

const PLACES = [SHANGHAI, { lat: SHANGHAI.lat + 0.05, lng: SHANGHAI.lng }];
const TECHS = ["t1", "t2", "t3"];

async function bookedCell(items: { key: string; tech: string; start: number; end: number; where?: { lat: number; lng: number } }[]) {
  const { stub } = freshCell("moves");
  for (const t of TECHS) await addProfile(stub, profile(t));
  for (const it of items) {
    const h = await stub.hold({
      technicianId: it.tech,
      orderId: it.key,
      start: it.start,
      end: it.end,
      ttlMs: 600_000,
      ...(it.where ?? SHANGHAI),
    });
    expect(h.ok).toBe(true);
    await stub.confirm(it.key);
  }
  return stub;
}

describe("CellDO applyMoves", () => {
  it("swaps two technicians' jobs, which two single moves could not do", async () => {
    const s = shanghaiAt(0);
    const stub = await bookedCell([
      { key: "a", tech: "t1", start: s, end: s + 2 * HOUR },
      { key: "b", tech: "t2", start: s, end: s + 2 * HOUR },
    ]);
    const r = await stub.applyMoves([
      { orderId: "a", technicianId: "t2", start: s, end: s + 2 * HOUR },
      { orderId: "b", technicianId: "t1", start: s, end: s + 2 * HOUR },
    ]);
    expect(r.ok).toBe(true);
    const rows = await stored(stub);
    expect(rows.map((x) => [x.orderId, x.technicianId, x.state])).toEqual([
      ["a", "t2", "booked"],
      ["b", "t1", "booked"],
    ]);
  });

  it("moves a chain: each job goes where the next one leaves", async () => {
    const s = shanghaiAt(0);
    const stub = await bookedCell([
      { key: "a", tech: "t1", start: s, end: s + HOUR },
      { key: "b", tech: "t1", start: s + 2 * HOUR, end: s + 3 * HOUR },
      { key: "c", tech: "t1", start: s + 4 * HOUR, end: s + 5 * HOUR },
    ]);
    const r = await stub.applyMoves([
      { orderId: "a", technicianId: "t1", start: s + 2 * HOUR, end: s + 3 * HOUR },
      { orderId: "b", technicianId: "t1", start: s + 4 * HOUR, end: s + 5 * HOUR },
      { orderId: "c", technicianId: "t2", start: s, end: s + HOUR },
    ]);
    expect(r.ok).toBe(true);
    expect((await stored(stub)).map((x) => [x.orderId, x.technicianId, x.start - s])).toEqual([
      ["a", "t1", 2 * HOUR],
      ["b", "t1", 4 * HOUR],
      ["c", "t2", 0],
    ]);
  });

  it("names the failing move and why, and changes nothing", async () => {
    const s = shanghaiAt(0);
    const stub = await bookedCell([
      { key: "a", tech: "t1", start: s, end: s + HOUR },
      { key: "b", tech: "t2", start: s, end: s + HOUR },
    ]);
    const before = await stored(stub);
    const cases: [CellMove[], Record<string, unknown>][] = [
      [
        [
          { orderId: "a", technicianId: "t3", start: s, end: s + HOUR },
          { orderId: "b", technicianId: "t3", start: s + HOUR, end: s + 2 * HOUR },
        ],
        { index: 1, orderId: "b", reason: "SLOT_UNAVAILABLE", clashWith: "a" },
      ],
      [[{ orderId: "a", technicianId: "t3", start: s + 11 * HOUR, end: s + 12 * HOUR }], { index: 0, reason: "OUTSIDE_SHIFT" }],
      [[{ orderId: "zz", technicianId: "t3", start: s, end: s + HOUR }], { index: 0, reason: "UNKNOWN_ORDER" }],
      [[{ orderId: "a", technicianId: "nobody", start: s, end: s + HOUR }], { index: 0, reason: "UNKNOWN_TECHNICIAN" }],
      [[{ orderId: "a", technicianId: "t2", start: s + HOUR, end: s }], { index: 0, reason: "INVALID_INTERVAL" }],
      [
        [
          { orderId: "a", technicianId: "t2", start: s + 2 * HOUR, end: s + 3 * HOUR },
          { orderId: "a", technicianId: "t3", start: s, end: s + HOUR },
        ],
        { index: 1, reason: "DUPLICATE_ORDER" },
      ],
      [[{ orderId: "a", technicianId: "t3", start: s, end: s + HOUR, skills: ["plumbing"] }], { index: 0, reason: "NOT_QUALIFIED" }],
      [[{ orderId: "b", technicianId: "t3", start: s, end: s + HOUR, place: SHANGHAI }], { index: 0, reason: "ORDER_CONFLICT" }],
    ];
    for (const [moves, failure] of cases) {
      const r = await stub.applyMoves(moves);
      expect(r).toMatchObject({ ok: false, code: "MOVE_REFUSED", failure });
      expect(await stored(stub)).toEqual(before);
    }
  });

  it("places a new booking for an order the cell holds nothing for", async () => {
    const s = shanghaiAt(0);
    const stub = await bookedCell([{ key: "a", tech: "t1", start: s, end: s + HOUR }]);
    const r = await stub.applyMoves([{ orderId: "n:1", technicianId: "t1", start: s + 2 * HOUR, end: s + 3 * HOUR, place: SHANGHAI }]);
    expect(r.ok).toBe(true);
    expect((await stored(stub)).find((x) => x.orderId === "n:1")).toMatchObject({ technicianId: "t1", state: "booked", expiresAt: null });
  });

  it("keeps every calendar free of clashes: accepted exactly when the result fits, refused with nothing changed", async () => {
    const s = shanghaiAt(0);
    // Slots on a half-hour grid from 07:00 to 19:30 (some outside the 08:00–20:00 shift).
    const slot = fc.integer({ min: -6, max: 19 }).map((k) => s + k * HOUR * 0.5);
    const job = fc.record({ tech: fc.constantFrom(...TECHS), start: slot, hours: fc.constantFrom(1, 2), place: fc.constantFrom(0, 1) });
    const move = fc.record({ item: fc.nat(9), tech: fc.constantFrom(...TECHS), start: slot });
    await fc.assert(
      fc.asyncProperty(
        fc.array(job, { minLength: 2, maxLength: 10 }),
        fc.uniqueArray(move, { minLength: 1, maxLength: 5, selector: (m) => m.item }),
        async (jobs, wanted) => {
          const { stub } = freshCell("moves-prop");
          for (const t of TECHS) await addProfile(stub, profile(t));
          const placed: Row[] = [];
          for (const [i, j] of jobs.entries()) {
            const where = PLACES[j.place]!;
            const r = await stub.hold({
              technicianId: j.tech,
              orderId: `o${i}`,
              start: j.start,
              end: j.start + j.hours * HOUR,
              ttlMs: 600_000,
              ...where,
            });
            if (r.ok && i % 3 !== 0) await stub.confirm(`o${i}`);
          }
          placed.push(...(await stored(stub)));
          const moves: CellMove[] = wanted
            .filter((m) => m.item < placed.length)
            .map((m) => {
              const it = placed[m.item]!;
              return { orderId: it.orderId, technicianId: m.tech, start: m.start, end: m.start + (it.end - it.start) };
            });
          if (moves.length === 0) return;
          const expected = placed.map((it) => {
            const m = moves.find((x) => x.orderId === it.orderId);
            return m ? { ...it, technicianId: m.technicianId, start: m.start, end: m.end } : it;
          });
          const moved = expected.filter((it) => moves.some((m) => m.orderId === it.orderId));
          const fits =
            moved.every(inShift) &&
            moved.every((a) => expected.every((b) => a === b || a.technicianId !== b.technicianId || !clashes(a, b, DEFAULT_TRAVEL)));
          const r = await stub.applyMoves(moves);
          const after = await stored(stub);
          expect(r.ok).toBe(fits);
          expect(noClashes(after)).toBe(true);
          if (r.ok) expect(after).toEqual(expected);
          else {
            expect(after).toEqual(placed);
            expect(["OUTSIDE_SHIFT", "SLOT_UNAVAILABLE"]).toContain(r.failure.reason);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it("of parallel moves into the same slot, exactly one wins", async () => {
    const s = shanghaiAt(0);
    const stub = await bookedCell(
      Array.from({ length: 8 }, (_, i) => ({
        key: `p${i}`,
        tech: TECHS[i % 2]!,
        start: s + (i >> 1) * 2 * HOUR,
        end: s + (i >> 1) * 2 * HOUR + HOUR,
      })),
    );
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        stub.applyMoves([{ orderId: `p${i}`, technicianId: "t3", start: s + 3 * HOUR, end: s + 4 * HOUR }]),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const after = await stored(stub);
    expect(after.filter((x) => x.technicianId === "t3")).toHaveLength(1);
    expect(noClashes(after)).toBe(true);
  });
});
