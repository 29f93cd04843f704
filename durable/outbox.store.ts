/**
 * The cell's outbox. Whatever falls due on the cell's clock is written here in the same
 * transaction as the state change that made it due, then handed to the cell-events queue; a row
 * counts as sent only once the queue took it, so an event is never lost to a failed send (the
 * alarm sends unsent rows again). Delivery is at least once; the Worker's consumer is idempotent.
 */
import type { CellEvent, CellEventBody } from "../src/domain/cell-events";

/** Sent rows are kept this long (to see what the cell reported), then pruned. */
const KEEP_SENT_MS = 24 * 3_600_000;

export interface OutboxRow {
  seq: number;
  event: CellEventBody;
  createdAt: number;
  sentAt: number | null;
}

export class OutboxStore {
  constructor(private readonly sql: SqlStorage) {}

  /** Records an event to send (call it inside the transaction of the change it reports). */
  add(event: CellEventBody, now: number): void {
    this.sql.exec("INSERT INTO outbox (body, created_at) VALUES (?, ?)", JSON.stringify(event), now);
  }

  /** The oldest rows not yet sent, as queue messages of cell `cell`. */
  unsent(cell: string, limit: number): { seq: number; message: CellEvent }[] {
    return this.sql
      .exec<{ seq: number; body: string }>("SELECT seq, body FROM outbox WHERE sent_at IS NULL ORDER BY seq LIMIT ?", limit)
      .toArray()
      .map((r) => ({ seq: r.seq, message: { ...(JSON.parse(r.body) as CellEventBody), id: `${cell}#${r.seq}`, cell } }));
  }

  hasUnsent(): boolean {
    return this.sql.exec("SELECT 1 FROM outbox WHERE sent_at IS NULL LIMIT 1").toArray().length > 0;
  }

  /** Marks rows sent and prunes rows sent long ago. */
  markSent(seqs: number[], now: number): void {
    for (const seq of seqs) this.sql.exec("UPDATE outbox SET sent_at = ? WHERE seq = ?", now, seq);
    this.sql.exec("DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?", now - KEEP_SENT_MS);
  }

  /** Every row, oldest first. */
  all(): OutboxRow[] {
    return this.sql
      .exec<{ seq: number; body: string; created_at: number; sent_at: number | null }>("SELECT * FROM outbox ORDER BY seq")
      .toArray()
      .map((r) => ({ seq: r.seq, event: JSON.parse(r.body) as CellEventBody, createdAt: r.created_at, sentAt: r.sent_at }));
  }
}
