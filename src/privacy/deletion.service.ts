/**
 * Account deletion (README "Personal data"). A person asks; nothing may hold it back (open orders,
 * an unpaid balance, a withdrawal being paid: 409 each); it waits DELETION_COOLING_OFF_DAYS, during
 * which the person or staff cancel it; then the daily cron carries it out (checking the blockers
 * again: a blocked deletion waits for the next day, its reason shown to staff).
 *
 * Carrying it out erases the person's personal data or makes it irreversibly anonymous, in one D1
 * batch: the account row stays as a tombstone (no phone, no name, no roles, disabled with reason
 * `account_holder_request`, its phone look-up hash replaced, so signing in with the same phone makes
 * a new, empty account); sign-ins are revoked; saved addresses and the addresses of their orders
 * are overwritten with empty sealed values and their exact points with the ~1 km area; notes,
 * review texts and review photos go; devices, WeChat bindings, the notification inbox and delivery
 * records, favourites, stored idempotent answers go. A technician's name, exact home, documents
 * (ID and certificate photos) and payout accounts go, and the profile is suspended (its cell's copy
 * follows at once). Chats (src/conversations `chatErasure`): the messages the person sent, and all of
 * their support conversations, lose their text and images. After-sales tickets (src/tickets
 * `ticketErasure`): their tickets' descriptions, statements and evidence photos, and what they wrote
 * on others' tickets, are emptied. Recurring visits (src/series `seriesErasure`): their series end
 * (nothing more is booked) and lose their notes and second contact; other customers' series that name
 * them as second contact drop them. Packages and membership (src/membership `membershipErasure`): the
 * points held are forfeited by an `expire` entry, the level goes; packages and their history stay
 * (money). Coupons (src/coupons `couponsErasure`): the birthday, the referral device hashes and the
 * share code go; wallet coupons (switched off), redemptions and referrals stay. The areas hand over
 * statements for the same batch and the R2 keys to delete after it. Orders, payments, refunds,
 * withdrawals, the ledger, packages, points entries, coupons, referrals and the tickets' rows and
 * decisions stay as the law requires, pointing only at the tombstone's id.
 */
import { config } from "../config";
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { runBatch } from "../db/repositories/statements";
import { AppError, notFound } from "../errors";
import type { Auth } from "../env";
import { forgetTokenState } from "../http/token-state";
import { areaPoint, homeColumns, pointColumns, type StoredPoint } from "../lib/coordinates";
import { newId } from "../lib/ids";
import { logger } from "../lib/log";
import { Pii } from "../lib/pii";
import { pushTechnician } from "../cells";
import { chatErasure } from "../conversations";
import { couponsErasure } from "../coupons";
import { membershipErasure } from "../membership";
import { seriesErasure } from "../series";
import { ticketErasure } from "../tickets";
import { requestView } from "./export.service";
import {
  deletionBlockers,
  dueDeletions,
  erasureStatement,
  findRequest,
  insertRequest,
  moveRequest,
  requestOfAccount,
  rowsWhere,
  technicianOfAccount,
  type DeletionBlockers,
} from "./privacy.repo";

const DAY_MS = 86_400_000;
/** Deletions one daily run carries out at most (each a few reads and one batch); the rest the next day. */
const DELETIONS_PER_RUN = 20;

function refuseIfBlocked(b: DeletionBlockers): void {
  if (b.openOrders > 0) throw AppError.of("DELETION_OPEN_ORDERS", { count: b.openOrders }, { extra: { count: b.openOrders } });
  if (b.unpaid > 0) throw AppError.of("DELETION_UNPAID_BALANCE", { count: b.unpaid }, { extra: { count: b.unpaid } });
  if (b.withdrawals > 0) throw AppError.of("DELETION_PENDING_WITHDRAWAL", { count: b.withdrawals }, { extra: { count: b.withdrawals } });
}

/**
 * Asks for the caller's account to be deleted after the cooling-off period. A deletion already
 * waiting is answered as it is (`created: false`): two requests at once make one.
 */
export async function requestDeletion(env: Env, accountId: string, client: string, now = Date.now()) {
  const db = getDb(env);
  refuseIfBlocked(await deletionBlockers(db, accountId));
  const row = await insertRequest(db, {
    id: newId("ddl", now),
    accountId,
    kind: "deletion",
    status: "pending",
    progress: { done: [], total: 1 },
    r2Key: null,
    bytes: null,
    expiresAt: null,
    downloadedAt: null,
    dueAt: now + config(env).DELETION_COOLING_OFF_DAYS * DAY_MS,
    cancelledBy: null,
    cancelReason: null,
    lastError: null,
    leaseUntil: null,
    client,
    completedAt: null,
    createdAt: now,
    updatedAt: now,
  });
  if (!row) {
    const waiting = await requestOfAccount(db, accountId, "deletion", ["pending"]);
    if (!waiting) throw AppError.of("CONCURRENT_UPDATE");
    return { created: false, request: await requestView(env, waiting) };
  }
  await appendAudit(
    db,
    {
      actorId: accountId,
      action: "privacy.deletion_requested",
      targetType: "data_request",
      targetId: row.id,
      data: { dueAt: new Date(row.dueAt!).toISOString(), client },
    },
    now,
  );
  return { created: true, request: await requestView(env, row) };
}

/** The caller's waiting deletion, or 404. */
export async function myDeletion(env: Env, accountId: string) {
  const row = await requestOfAccount(getDb(env), accountId, "deletion", ["pending"]);
  if (!row) throw notFound({ en: "Account deletion request", zh: "注销申请" });
  return requestView(env, row);
}

async function cancel(env: Env, row: { id: string } | undefined, by: string, reason: string, now: number) {
  const db = getDb(env);
  const done =
    row && (await moveRequest(db, row.id, ["pending"], { status: "cancelled", cancelledBy: by, cancelReason: reason, updatedAt: now }));
  if (!done) throw AppError.of("DELETION_NOT_PENDING");
  await appendAudit(
    db,
    { actorId: by, action: "privacy.deletion_cancelled", targetType: "data_request", targetId: done.id, data: { reason } },
    now,
  );
  return requestView(env, done);
}

/** The person cancels their waiting deletion (409 DELETION_NOT_PENDING when none waits). */
export async function cancelMyDeletion(env: Env, accountId: string, now = Date.now()) {
  return cancel(env, await requestOfAccount(getDb(env), accountId, "deletion", ["pending"]), accountId, "account_holder", now);
}

/** Staff cancel a waiting deletion with a reason (audited; 409 once it is carried out or cancelled). */
export async function cancelDeletionByStaff(env: Env, actor: Auth, id: string, reason: string, now = Date.now()) {
  const row = await findRequest(getDb(env), id);
  if (!row || row.kind !== "deletion") throw notFound({ en: "Account deletion request", zh: "注销申请" });
  return cancel(env, row, actor.accountId, reason, now);
}

/** The daily run: carries out the deletions whose cooling-off has ended. */
export async function runDueDeletions(env: Env, now: number): Promise<{ completed: number; held: number }> {
  const db = getDb(env);
  let completed = 0;
  let held = 0;
  for (const r of await dueDeletions(db, now, DELETIONS_PER_RUN)) {
    const blockers = await deletionBlockers(db, r.accountId);
    const code = blockers.openOrders
      ? "open_orders"
      : blockers.unpaid
        ? "unpaid_balance"
        : blockers.withdrawals
          ? "pending_withdrawal"
          : null;
    if (code) {
      await moveRequest(db, r.id, ["pending"], { lastError: code, updatedAt: now });
      held++;
      continue;
    }
    await eraseAccount(env, r.accountId, r.id, now);
    completed++;
  }
  if (completed || held) logger.info("privacy.deletions", { completed, held });
  return { completed, held };
}

type Row = Record<string, unknown>;
const stored = (r: Row): StoredPoint => ({
  id: r.id as string,
  coordsEnc: r.coords_enc as string | null,
  areaLat: r.area_lat as number | null,
  areaLng: r.area_lng as number | null,
  lat: r.lat as number,
  lng: r.lng as number,
});

/** Erases one account's personal data (see the module comment) and completes the request, in one batch. */
async function eraseAccount(env: Env, accountId: string, requestId: string, now: number): Promise<void> {
  const db = getDb(env);
  const pii = await Pii.fromEnv(env);
  const technicianId = await technicianOfAccount(db, accountId);
  const [addresses, orders, reviewPhotos, documents, chats, tickets] = await Promise.all([
    rowsWhere<Row>(db, "SELECT id, coords_enc, area_lat, area_lng, lat, lng FROM addresses WHERE account_id = ?", accountId),
    rowsWhere<Row>(db, "SELECT id, coords_enc, area_lat, area_lng, lat, lng FROM orders WHERE customer_id = ?", accountId),
    rowsWhere<{ id: string; r2_key: string }>(
      db,
      "SELECT id, r2_key FROM order_photos WHERE kind = 'review' AND created_by = ?",
      accountId,
    ),
    technicianId
      ? rowsWhere<{ id: string; r2_key: string }>(db, "SELECT id, r2_key FROM technician_documents WHERE technician_id = ?", technicianId)
      : Promise.resolve([]),
    chatErasure(env, accountId),
    ticketErasure(env, accountId),
  ]);
  const s = (q: string, ...p: unknown[]) => erasureStatement(db, q, ...p);
  const empty = (field: string) => pii.encrypt(field, "");
  const statements: D1PreparedStatement[] = [];
  for (const a of addresses) {
    const p = await pointColumns(pii, "addresses", a.id as string, areaPoint(stored(a)));
    statements.push(
      s(
        `UPDATE addresses SET label = '', text_enc = ?, contact_name_enc = ?, contact_phone_enc = ?, coords_enc = ?, area_lat = ?, area_lng = ?, lat = ?, lng = ?,
           deleted_at = COALESCE(deleted_at, ?), updated_at = ? WHERE id = ?`,
        await empty("address"),
        await empty("contact_name"),
        await empty("phone"),
        p.coordsEnc,
        p.areaLat,
        p.areaLng,
        p.lat,
        p.lng,
        now,
        now,
        a.id,
      ),
    );
  }
  const blankAddress = JSON.stringify({ label: "", text: "", contactName: "", contactPhone: "" });
  for (const o of orders) {
    const p = await pointColumns(pii, "orders", o.id as string, areaPoint(stored(o)));
    statements.push(
      s(
        "UPDATE orders SET address_enc = ?, notes = NULL, coords_enc = ?, area_lat = ?, area_lng = ?, lat = ?, lng = ? WHERE id = ?",
        await pii.encrypt("order_address", blankAddress),
        p.coordsEnc,
        p.areaLat,
        p.areaLng,
        p.lat,
        p.lng,
        o.id,
      ),
    );
  }
  statements.push(
    s("UPDATE reviews SET text = NULL, photo_ids = '[]' WHERE customer_id = ?", accountId),
    // Survey answers keep their scores for the reports; free texts (they may name a person) go.
    s(
      "UPDATE survey_responses SET answers = (SELECT json_group_array(json(value)) FROM json_each(survey_responses.answers) WHERE json_extract(value, '$.kind') != 'text') WHERE customer_id = ?",
      accountId,
    ),
    s("DELETE FROM order_photos WHERE kind = 'review' AND created_by = ?", accountId),
    ...chats.statements,
    ...tickets.statements,
    ...seriesErasure(env, accountId, now).statements,
    ...membershipErasure(env, accountId, now).statements,
    ...couponsErasure(env, accountId, now).statements,
    s("DELETE FROM push_devices WHERE account_id = ?", accountId),
    s("DELETE FROM wechat_bindings WHERE account_id = ?", accountId),
    s("DELETE FROM notifications WHERE account_id = ?", accountId),
    s("DELETE FROM notification_deliveries WHERE account_id = ?", accountId),
    s("DELETE FROM favourites WHERE account_id = ?", accountId),
    s("DELETE FROM idempotency_keys WHERE account_id = ?", accountId),
    s("DELETE FROM refresh_tokens WHERE account_id = ?", accountId),
    s("DELETE FROM otp_codes WHERE phone_hash = (SELECT phone_hash FROM accounts WHERE id = ?)", accountId),
    // Sign-in counters keyed by the phone's look-up hash (src/identity/auth.service.ts): short-lived, but they name the phone.
    s(
      // Key ranges (`prefix:` up to `prefix;`) so the primary key finds them without reading the table.
      `WITH h AS (SELECT phone_hash AS v FROM accounts WHERE id = ?1)
       DELETE FROM rate_limits WHERE key = (SELECT 'otp:phone:' || v FROM h)
         OR (key >= (SELECT 'otp:phone-ip:' || v || ':' FROM h) AND key < (SELECT 'otp:phone-ip:' || v || ';' FROM h))
         OR (key >= (SELECT 'otp:cool:' || v || ':' FROM h) AND key < (SELECT 'otp:cool:' || v || ';' FROM h))`,
      accountId,
    ),
  );
  if (technicianId) {
    const [t] = await rowsWhere<Row>(
      db,
      "SELECT home_enc, home_area_lat, home_area_lng, home_lat, home_lng FROM technicians WHERE id = ?",
      technicianId,
    );
    const home = await homeColumns(
      pii,
      technicianId,
      areaPoint({
        id: technicianId,
        coordsEnc: t!.home_enc as string | null,
        areaLat: t!.home_area_lat as number | null,
        areaLng: t!.home_area_lng as number | null,
        lat: t!.home_lat as number,
        lng: t!.home_lng as number,
      }),
    );
    statements.push(
      s(
        "UPDATE technicians SET name = ?, status = 'suspended', home_enc = ?, home_area_lat = ?, home_area_lng = ?, home_lat = ?, home_lng = ?, updated_at = ? WHERE id = ?",
        "已注销 / deleted",
        home.homeEnc,
        home.homeAreaLat,
        home.homeAreaLng,
        home.homeLat,
        home.homeLng,
        now,
        technicianId,
      ),
      s("DELETE FROM technician_documents WHERE technician_id = ?", technicianId),
      s("DELETE FROM technician_payees WHERE technician_id = ?", technicianId),
    );
  }
  statements.push(
    s(
      `UPDATE accounts SET phone_enc = ?, phone_hash = ?, name = NULL, roles = '[]', merchant_id = NULL, status = 'disabled',
         disabled_reason = 'account_holder_request', disabled_note = NULL, disabled_at = ?, token_version = token_version + 1, updated_at = ? WHERE id = ?`,
      await empty("phone"),
      `deleted:${accountId}`,
      now,
      now,
      accountId,
    ),
    s(
      "UPDATE data_requests SET status = 'completed', completed_at = ?, last_error = NULL, updated_at = ? WHERE id = ? AND status = 'pending'",
      now,
      now,
      requestId,
    ),
  );
  await runBatch(db, statements);
  forgetTokenState(accountId);
  // The files go after the rows: a failure here leaves an orphan object, never a row pointing nowhere.
  const keys = [...[...reviewPhotos, ...documents].map((p) => p.r2_key), ...chats.keys, ...tickets.keys];
  // R2 deletes at most 1000 keys a call.
  for (let i = 0; i < keys.length; i += 1000) await env.PHOTOS.delete(keys.slice(i, i + 1000));
  if (technicianId)
    await pushTechnician(env, technicianId).catch((err: unknown) =>
      logger.warn("privacy.roster_sync_failed", { technicianId, error: String(err) }),
    );
  await appendAudit(
    db,
    {
      actorId: null,
      action: "privacy.deletion_completed",
      targetType: "data_request",
      targetId: requestId,
      data: { technician: technicianId !== null },
    },
    now,
  );
}
