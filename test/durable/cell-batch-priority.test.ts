import { runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CellDO } from "../../durable/cell.do";
import { CELL_MIGRATIONS, migrate } from "../../durable/cell.schema";
import { addProfile, batchState, freshCell, HOUR, profile, shanghaiAt, SHANGHAI } from "../support/cell";

const KM_LAT = 1 / 111.2; // degrees of latitude per km
const north = (km: number) => ({ lat: SHANGHAI.lat + km * KM_LAT, lng: SHANGHAI.lng });
const NO_FACTS = { earnings: {}, acceptance: {}, favourites: {}, merchants: {} };

type Stub = ReturnType<typeof freshCell>["stub"];

const job = (holdKey: string, priority?: boolean) => ({
  holdKey,
  orderId: `ord_${holdKey}`,
  customerId: `acc_${holdKey}`,
  skills: ["cleaning"],
  exclude: [],
  ...(priority === undefined ? {} : { priority }),
});

async function holderOf(stub: Stub, orderId: string, from: number, to: number): Promise<string | undefined> {
  for (const t of ["A", "B"]) {
    const s = await stub.schedule(t, from, to);
    if (s.ok && s.items.some((i) => i.orderId === orderId)) return t;
  }
  return undefined;
}

/**
 * A lives at the centre, B 3 km north. Job 1 is at A's door and holds A; job 2, 0.5 km north, came
 * second and had to take B. Keeping them is cheapest in total (0 + 2.5 km against 3 + 0.5 km).
 */
async function contested(priority: { j1?: boolean; j2?: boolean }) {
  const { stub } = freshCell("batchprio");
  await addProfile(stub, profile("A", { home: north(0) }));
  await addProfile(stub, profile("B", { home: north(3) }));
  const s = shanghaiAt(0);
  expect((await stub.hold({ technicianId: "A", orderId: "j1", start: s, end: s + HOUR, ttlMs: HOUR, ...north(0) })).ok).toBe(true);
  expect((await stub.hold({ technicianId: "B", orderId: "j2", start: s, end: s + HOUR, ttlMs: HOUR, ...north(0.5) })).ok).toBe(true);
  await stub.enqueueBatch(job("j1", priority.j1), HOUR);
  await stub.enqueueBatch(job("j2", priority.j2), HOUR);
  const input = await stub.batchInput();
  const { decisions } = await stub.tickBatch(
    NO_FACTS,
    input.jobs.map((j) => j.holdKey),
  );
  return {
    waitingOrder: input.jobs.map((j) => j.holdKey),
    decisions,
    j1: await holderOf(stub, "j1", s - HOUR, s + 2 * HOUR),
    j2: await holderOf(stub, "j2", s - HOUR, s + 2 * HOUR),
    stub,
  };
}

describe("priority dispatch in batch rounds", () => {
  it("keeps two competing jobs where they are when neither is a priority customer's", async () => {
    const r = await contested({});
    expect([r.j1, r.j2]).toEqual(["A", "B"]);
    expect(r.decisions.map((d) => [d.holdKey, d.from, d.to])).toEqual([
      ["j1", "A", "A"],
      ["j2", "B", "B"],
    ]);
  });

  it("gives the contested technician to the priority customer's job, and offers it first", async () => {
    const r = await contested({ j2: true });
    expect([r.j1, r.j2]).toEqual(["B", "A"]);
    expect(r.waitingOrder).toEqual(["j2", "j1"]);
    expect(r.decisions.map((d) => [d.holdKey, d.from, d.to])).toEqual([
      ["j2", "B", "A"],
      ["j1", "A", "B"],
    ]);
    expect((await batchState(r.stub)).waiting).toEqual([]);
  });

  it("a priority job already holding the best technician keeps it", async () => {
    const r = await contested({ j1: true });
    expect([r.j1, r.j2]).toEqual(["A", "B"]);
  });

  it("an explicit non-priority flag behaves exactly as no flag (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<[boolean | undefined, boolean | undefined]>([false, false], [undefined, false], [false, undefined]),
        async ([a, b]) => {
          const r = await contested({ j1: a, j2: b });
          expect([r.j1, r.j2]).toEqual(["A", "B"]);
          expect(r.waitingOrder).toEqual(["j1", "j2"]);
        },
      ),
      { numRuns: 3 },
    );
  });

  it("a cell from before priority dispatch keeps its waiting jobs, as non-priority ones", async () => {
    const { stub } = freshCell("batchprio");
    const migration = CELL_MIGRATIONS.findIndex((m) => m.includes("ADD COLUMN priority"));
    await runInDurableObject(stub, (_i: CellDO, state) => {
      const sql = state.storage.sql;
      sql.exec("ALTER TABLE batch_queue DROP COLUMN priority");
      sql.exec("ALTER TABLE batch_queue DROP COLUMN window_starts");
      sql.exec("UPDATE meta SET value = ? WHERE key = 'schema_version'", String(migration));
      sql.exec(
        "INSERT INTO batch_queue (hold_key, order_id, customer_id, skills, exclude, enqueued_at) VALUES ('old', 'ord_old', 'acc_old', '[]', '[]', 1)",
      );
      expect(migrate(sql, state.storage)).toBe(CELL_MIGRATIONS.length);
    });
    expect((await batchState(stub)).waiting).toEqual([
      { holdKey: "old", orderId: "ord_old", customerId: "acc_old", skills: [], exclude: [] },
    ]);
  });
});
