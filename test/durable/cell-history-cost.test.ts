/**
 * A cell's hot operations cost the same however much history it keeps: every read of intervals,
 * positions and the outbox is an index range bounded on both sides (checked on the query plans of
 * the statements the operations really run), so the rows SQLite reads stay equal when the history
 * grows tenfold, and one candidate query reads the calendars of all technicians at once.
 */
import { describe, expect, it } from "vitest";
import type { CellDO } from "../../durable/cell.do";
import {
  cellPlan,
  dropCellIndex,
  freshCell,
  HOUR,
  makeDue,
  meteredInCell,
  profile,
  SHANGHAI,
  shanghaiAt,
  writeCellHistory,
  type CellStatement,
} from "../support/cell";
import { tableScans } from "../support/plans";

/** The tables that grow with the cell's history. */
const HISTORY_TABLES = ["intervals", "positions", "events", "outbox"];
const ids = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);

/** A cell with `technicians` technicians and `perTechnician` past visits each (and as many events, outbox rows and 50× positions). */
async function grownCell(technicians: number, perTechnician: number) {
  const { name, stub } = freshCell("history");
  await stub.syncRoster(
    ids(technicians).map((id) => profile(id)),
    1,
  );
  await writeCellHistory(stub, {
    technicianIds: ids(technicians),
    perTechnician,
    positions: perTechnician * 50,
    before: Date.now() - 86_400_000,
  });
  return { name, stub };
}

const job = { start: shanghaiAt(2), end: shanghaiAt(4), skills: ["cleaning"], exclude: [], ...SHANGHAI };

/**
 * The hot operations, each metered: availability of a day, candidates for a job, a hold and its
 * confirmation, a heartbeat, and the alarm expiring a hold and sending (then pruning) the outbox.
 */
async function hotOperations(cell: Awaited<ReturnType<typeof grownCell>>) {
  const { stub } = cell;
  // In the window: a booking of t1 the same day, so clash checks and travel have something to find.
  await stub.hold({ technicianId: "t1", orderId: "near", start: shanghaiAt(0), end: shanghaiAt(1), ttlMs: HOUR, ...SHANGHAI });
  await stub.confirm("near");
  await stub.setOnline("t0", true);
  await stub.hold({ technicianId: "t2", orderId: "lapsing", start: shanghaiAt(6), end: shanghaiAt(7), ttlMs: HOUR, ...SHANGHAI });
  await makeDue(stub, { hold: "lapsing" });
  const starts = Array.from({ length: 16 }, (_, i) => shanghaiAt(i / 2 - 2));
  return {
    availability: await meteredInCell(stub, (c: CellDO) =>
      c.availability({ starts, durationMinutes: 120, skills: ["cleaning"], ...SHANGHAI }),
    ),
    candidates: await meteredInCell(stub, (c: CellDO) => c.candidates(job)),
    hold: await meteredInCell(stub, (c: CellDO) =>
      c.hold({ technicianId: "t0", orderId: "new", start: job.start, end: job.end, ttlMs: HOUR, ...SHANGHAI }),
    ),
    confirm: await meteredInCell(stub, (c: CellDO) => c.confirm("new")),
    heartbeat: await meteredInCell(stub, (c: CellDO) => c.heartbeat("t0", { lat: 31.23, lng: 121.47 })),
    alarm: await meteredInCell(stub, (c: CellDO) => c.alarm()),
  };
}

/** Statements that touch a table growing with history. */
const onHistory = (statements: CellStatement[]) =>
  statements.filter((s) => HISTORY_TABLES.some((t) => new RegExp(`\\b(FROM|INTO|UPDATE) ${t}\\b`).test(s.query)));

describe("the cell's costs do not grow with its history", () => {
  it("reads the same rows for every hot operation with 10× the history", async () => {
    const small = await hotOperations(await grownCell(5, 40));
    const large = await hotOperations(await grownCell(5, 400));
    // The same answers (times aside) …
    expect(large.availability.result).toEqual(small.availability.result);
    expect(large.candidates.result).toEqual(small.candidates.result);
    for (const op of ["hold", "confirm", "heartbeat"] as const) expect(large[op].result.ok).toBe(small[op].result.ok);
    // … for the same rows read, operation by operation.
    for (const op of Object.keys(small) as (keyof typeof small)[])
      expect({ op, rowsRead: large[op].rowsRead }).toEqual({ op, rowsRead: small[op].rowsRead });
    // The operations did their work: t1 is busy (travel from "near"), t0 took the job, the hold lapsed and was reported.
    expect(small.candidates.result).toMatchObject({ ok: true });
    expect(small.hold.result).toMatchObject({ ok: true, replayed: false });
    expect(small.alarm.statements.some((s) => s.query.startsWith("DELETE FROM outbox"))).toBe(true);
    expect(small.alarm.statements.some((s) => s.query.startsWith("DELETE FROM positions WHERE at <"))).toBe(true);
    // 2,000 past visits, 10,000 positions: far more than any operation reads.
    for (const op of Object.values(small)) expect(op.rowsRead).toBeLessThan(200);
  });

  it("runs every statement of the hot operations on an index, interval windows bounded on both sides", async () => {
    const cell = await grownCell(5, 100);
    const ops = await hotOperations(cell);
    const statements = onHistory(Object.values(ops).flatMap((o) => o.statements));
    const plans = await Promise.all(
      statements.map(async (s) => ({ query: s.query, plan: await cellPlan(cell.stub, s.query, s.bindings) })),
    );
    expect(plans.filter((p) => tableScans(p.plan, HISTORY_TABLES).length > 0)).toEqual([]);
    const planOf = (prefix: string) => plans.find((p) => p.query.startsWith(prefix))?.plan.join(" | ");
    // One technician's window (hold, confirm's clash check, candidates' fallback): both ends of start_ms.
    expect(planOf("SELECT * FROM intervals WHERE technician_id = ? AND start_ms >")).toContain(
      "SEARCH intervals USING INDEX intervals_tech_start (technician_id=? AND start_ms>? AND start_ms<?)",
    );
    // Every technician's window (availability, candidates).
    expect(planOf("SELECT * FROM intervals WHERE start_ms >")).toContain(
      "SEARCH intervals USING INDEX intervals_start (start_ms>? AND start_ms<?)",
    );
    // The alarm trims expired positions and prunes long-sent outbox rows by index.
    expect(planOf("DELETE FROM positions WHERE at <")).toMatch(/SEARCH positions USING (COVERING )?INDEX positions_at \(at<\?\)/);
    expect(planOf("DELETE FROM outbox WHERE sent_at IS NOT NULL")).toMatch(
      /SEARCH outbox USING (COVERING )?INDEX outbox_sent \(sent_at>\? AND sent_at<\?\)/,
    );
  });

  it("the plan check notices a missing index: without intervals_start, availability walks every interval", async () => {
    const cell = await grownCell(2, 50);
    const query =
      "SELECT * FROM intervals WHERE start_ms > ? AND start_ms < ? AND end_ms > ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY start_ms";
    expect(tableScans(await cellPlan(cell.stub, query, [0, 1, 0, 0]), HISTORY_TABLES)).toEqual([]);
    await dropCellIndex(cell.stub, "intervals_start");
    expect(tableScans(await cellPlan(cell.stub, query, [0, 1, 0, 0]), HISTORY_TABLES)).toEqual(["SCAN intervals"]);
    const starts = [shanghaiAt(0)];
    const { rowsRead } = await meteredInCell(cell.stub, (c: CellDO) =>
      c.availability({ starts, durationMinutes: 60, skills: ["cleaning"], ...SHANGHAI }),
    );
    expect(rowsRead).toBeGreaterThanOrEqual(100);
  });

  it("answers candidates with one read of the calendars, for 3 technicians as for 30", async () => {
    const statementsFor = async (technicians: number) => {
      const cell = await grownCell(technicians, 20);
      await cell.stub.candidates(job); // the roster is read once and kept
      const { result, statements } = await meteredInCell(cell.stub, (c: CellDO) => c.candidates(job));
      expect(result.ok && result.candidates).toHaveLength(technicians);
      return statements.map((s) => s.query);
    };
    const three = await statementsFor(3);
    const thirty = await statementsFor(30);
    expect(thirty).toEqual(three);
    expect(three).toEqual([expect.stringMatching(/^SELECT \* FROM intervals WHERE start_ms > \?/)]);
  });
});
