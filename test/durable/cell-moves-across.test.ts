/**
 * A cell's part in a multi-move across cells: intervals leaving it stay (and block everyone but the
 * change's own moves) until the change is settled; `settleMoves` brings the cell to what D1 says.
 */
import { describe, expect, it } from "vitest";
import { addProfile, freshCell, HOUR, profile, shanghaiAt, SHANGHAI } from "../support/cell";

async function cellWith(items: { key: string; tech: string; start: number; end: number }[]) {
  const { stub } = freshCell("across");
  for (const t of ["t1", "t2"]) await addProfile(stub, profile(t));
  for (const it of items) {
    expect(
      (await stub.hold({ technicianId: it.tech, orderId: it.key, start: it.start, end: it.end, ttlMs: 600_000, ...SHANGHAI })).ok,
    ).toBe(true);
    await stub.confirm(it.key);
  }
  return stub;
}

const keysOf = async (stub: Awaited<ReturnType<typeof cellWith>>, s: number) =>
  (await stub.exportCalendar(s - 24 * HOUR, s + 24 * HOUR)).items.map((i) => [i.orderId, i.technicianId, i.start - s]);

describe("CellDO applyMoves with intervals leaving the cell", () => {
  it("places an arriving job where a leaving one still is, and keeps the leaving one until settled", async () => {
    const s = shanghaiAt(0);
    const stub = await cellWith([{ key: "out", tech: "t1", start: s, end: s + 2 * HOUR }]);
    const arriving = { orderId: "in", technicianId: "t1", start: s, end: s + 2 * HOUR, place: SHANGHAI };
    // Without naming the leaving interval, the slot is taken.
    expect(await stub.applyMoves([arriving])).toMatchObject({
      ok: false,
      failure: { index: 0, reason: "SLOT_UNAVAILABLE", clashWith: "out" },
    });
    expect(await stub.applyMoves([arriving], { leaving: ["out"] })).toMatchObject({ ok: true });
    expect(await keysOf(stub, s)).toEqual([
      ["out", "t1", 0],
      ["in", "t1", 0],
    ]);
    // Everyone else still finds the slot taken.
    expect(await stub.applyMoves([{ orderId: "other", technicianId: "t1", start: s, end: s + HOUR, place: SHANGHAI }])).toMatchObject({
      ok: false,
      failure: { reason: "SLOT_UNAVAILABLE" },
    });
    // Settled: the leaving one goes, the arriving one stays.
    expect(await stub.settleMoves([{ ...arriving }], ["out"])).toEqual({ ok: true });
    expect(await keysOf(stub, s)).toEqual([["in", "t1", 0]]);
  });

  it("refuses a leaving key the cell does not hold, naming it, and changes nothing", async () => {
    const s = shanghaiAt(0);
    const stub = await cellWith([{ key: "a", tech: "t1", start: s, end: s + HOUR }]);
    const r = await stub.applyMoves([{ orderId: "a", technicianId: "t2", start: s, end: s + HOUR }], { leaving: ["ghost"] });
    expect(r).toMatchObject({ ok: false, failure: { index: -1, orderId: "ghost", reason: "UNKNOWN_ORDER" } });
    expect(await keysOf(stub, s)).toEqual([["a", "t1", 0]]);
  });

  it("settling puts keys back, places missing ones, drops the rest; a clash changes nothing", async () => {
    const s = shanghaiAt(0);
    const stub = await cellWith([
      { key: "a", tech: "t1", start: s, end: s + HOUR },
      { key: "b", tech: "t2", start: s, end: s + HOUR },
      { key: "c", tech: "t2", start: s + 3 * HOUR, end: s + 4 * HOUR },
    ]);
    expect(
      await stub.settleMoves(
        [
          { orderId: "a", technicianId: "t1", start: s + 2 * HOUR, end: s + 3 * HOUR, place: SHANGHAI },
          { orderId: "d", technicianId: "t1", start: s + 5 * HOUR, end: s + 6 * HOUR, place: SHANGHAI },
        ],
        ["b", "gone"],
      ),
    ).toEqual({ ok: true });
    expect(await keysOf(stub, s)).toEqual([
      ["a", "t1", 2 * HOUR],
      ["c", "t2", 3 * HOUR],
      ["d", "t1", 5 * HOUR],
    ]);
    // Onto c's time: refused as a whole, nothing moved or dropped.
    const r = await stub.settleMoves(
      [{ orderId: "a", technicianId: "t2", start: s + 3 * HOUR, end: s + 4 * HOUR, place: SHANGHAI }],
      ["d"],
    );
    expect(r).toMatchObject({ ok: false, failure: { orderId: "a", reason: "SLOT_UNAVAILABLE", clashWith: "c" } });
    expect(await keysOf(stub, s)).toEqual([
      ["a", "t1", 2 * HOUR],
      ["c", "t2", 3 * HOUR],
      ["d", "t1", 5 * HOUR],
    ]);
  });
});
