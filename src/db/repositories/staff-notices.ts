/** Staff notices in the notification centre (operators and a merchant's admins), written inside another change's batch. */
import type { Db } from "../client";
import type { Guard } from "./statements";

/** A notice for staff: every active operator and the active admins of `merchantId` (none when null). */
export interface StaffNoticeRows {
  /** Unique per notice; each row's id is this followed by the account id. */
  idPrefix: string;
  /** What makes a repeat add nothing (unique with the account). */
  sourceId: string;
  merchantId: string | null;
  kind: string;
  title: { zh: string; en: string };
  body: { zh: string; en: string };
  data: Record<string, unknown>;
}

/** Inserts a staff notice into each recipient's notification centre, only when `guard` holds. */
export function staffNoticeRows(db: Db, n: StaffNoticeRows, now: number, guard: Guard): D1PreparedStatement {
  return db.$client
    .prepare(
      `INSERT OR IGNORE INTO notifications (id, account_id, kind, title, body, data, source_id, read_at, created_at)
       SELECT ? || a.id, a.id, ?, ?, ?, ?, ?, NULL, ? FROM accounts a
       WHERE a.status = 'active'
         AND (EXISTS (SELECT 1 FROM json_each(a.roles) WHERE value = 'operator')
           OR (a.merchant_id = ? AND EXISTS (SELECT 1 FROM json_each(a.roles) WHERE value = 'merchant_admin')))
         AND ${guard.sql}`,
    )
    .bind(
      n.idPrefix,
      n.kind,
      JSON.stringify(n.title),
      JSON.stringify(n.body),
      JSON.stringify(n.data),
      n.sourceId,
      now,
      n.merchantId,
      ...guard.params,
    );
}
