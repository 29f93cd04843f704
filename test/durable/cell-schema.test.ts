import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { CellDO } from "../../durable/cell.do";
import { CELL_MIGRATIONS, migrate } from "../../durable/cell.schema";
import { cellDeadline, cellOutbox, freshCell } from "../support/cell";

/** The migration that brought the outbox (the one before it is the schema this test starts from). */
const OUTBOX_MIGRATION = CELL_MIGRATIONS.findIndex((m) => m.includes("CREATE TABLE outbox"));
/** The migration that indexed intervals by start. */
const INDEX_MIGRATION = CELL_MIGRATIONS.findIndex((m) => m.includes("CREATE INDEX intervals_start"));

const indexesOf = (state: DurableObjectState) =>
  state.storage.sql
    .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .toArray()
    .map((r) => r.name);

describe("the cell's schema migrations", () => {
  it("moves packed deadline timers to typed payloads and unreported hold expiries to the outbox", async () => {
    const { name, stub } = freshCell("schema");
    // A cell as the previous schema left it: deadlines packed as `kind|version`, expiries not yet reported.
    await runInDurableObject(stub, (_i: CellDO, state) => {
      const sql = state.storage.sql;
      sql.exec("DROP TABLE outbox");
      sql.exec("ALTER TABLE timers DROP COLUMN payload");
      sql.exec("DROP INDEX intervals_start");
      sql.exec("DROP INDEX positions_at");
      sql.exec("DROP TABLE used_tickets");
      sql.exec("DROP TABLE ops_orders");
      sql.exec("DROP TABLE ops_busy");
      sql.exec("ALTER TABLE batch_queue DROP COLUMN priority");
      sql.exec("ALTER TABLE batch_queue DROP COLUMN window_starts");
      sql.exec("UPDATE meta SET value = ? WHERE key = 'schema_version'", String(OUTBOX_MIGRATION));
      sql.exec("INSERT INTO timers (key, kind, due_at) VALUES ('dispatch:ord_a', 'accept|3', 1000), ('dispatch:ord_b', 'enroute|7', 2000)");
      sql.exec("INSERT INTO timers (key, kind, due_at) VALUES ('batch', 'batch', 3000), ('presence:t1', 'presence', 4000)");
      sql.exec(
        `INSERT INTO events (kind, order_id, technician_id, data, created_at, delivered_at) VALUES
         ('hold.expired', 'ord_c:1', 't1', '{}', 10, NULL),
         ('hold.expired', 'ord_d:1', 't1', '{}', 11, 12),
         ('interval.released', 'ord_e:1', 't1', '{}', 13, NULL)`,
      );
      expect(migrate(sql, state.storage)).toBe(CELL_MIGRATIONS.length);
    });

    expect(await cellDeadline(stub, "ord_a")).toEqual({ orderId: "ord_a", kind: "accept", version: 3, dueAt: 1000 });
    expect(await cellDeadline(stub, "ord_b")).toEqual({ orderId: "ord_b", kind: "enroute", version: 7, dueAt: 2000 });
    const kinds = await runInDurableObject(stub, (_i: CellDO, state) =>
      state.storage.sql.exec<{ key: string; kind: string }>("SELECT key, kind FROM timers ORDER BY key").toArray(),
    );
    expect(kinds).toEqual([
      { key: "batch", kind: "batch" },
      { key: "dispatch:ord_a", kind: "dispatch" },
      { key: "dispatch:ord_b", kind: "dispatch" },
      { key: "presence:t1", kind: "presence" },
    ]);
    const outbox = await cellOutbox(name);
    expect(outbox.map((e) => [e.type, e.type === "hold.expired" && e.holdKey, e.sentAt])).toEqual([["hold.expired", "ord_c:1", null]]);
  });

  it("indexes intervals by start, positions by time and sent outbox rows, keeping what the cell holds", async () => {
    const { stub } = freshCell("schema");
    const kept = await runInDurableObject(stub, (_i: CellDO, state) => {
      const sql = state.storage.sql;
      // A cell as the schema before these indexes left it, with a booking and a trail point.
      for (const index of ["intervals_start", "positions_at", "outbox_sent"]) sql.exec(`DROP INDEX ${index}`);
      sql.exec("DROP TABLE used_tickets");
      sql.exec("DROP TABLE ops_orders");
      sql.exec("DROP TABLE ops_busy");
      sql.exec("ALTER TABLE batch_queue DROP COLUMN priority");
      sql.exec("ALTER TABLE batch_queue DROP COLUMN window_starts");
      sql.exec("UPDATE meta SET value = ? WHERE key = 'schema_version'", String(INDEX_MIGRATION));
      sql.exec(
        "INSERT INTO intervals (order_id, technician_id, start_ms, end_ms, lat, lng, state, created_at, updated_at) VALUES ('o1', 't1', 10, 20, 1, 1, 'booked', 0, 0)",
      );
      sql.exec("INSERT INTO positions (technician_id, at, lat, lng) VALUES ('t1', 5, 1, 1)");
      const before = indexesOf(state);
      expect(migrate(sql, state.storage)).toBe(CELL_MIGRATIONS.length);
      return { before, after: indexesOf(state), intervals: sql.exec("SELECT COUNT(*) AS n FROM intervals").one().n };
    });
    expect(kept.before).not.toContain("intervals_start");
    expect(kept.after).toEqual(expect.arrayContaining(["intervals_start", "positions_at", "outbox_sent", "intervals_tech_start"]));
    expect(kept.intervals).toBe(1);
  });
});
