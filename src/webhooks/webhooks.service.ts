/**
 * Outbound webhooks for integrators: subscriptions (a URL, event types, a signing secret that
 * rotates), the delivery log and replays. The platform (operators, admins) subscribes to every
 * order's events or to one merchant's; a merchant admin subscribes to, and sees, its own merchant's
 * only. Sending is the queue consumer's (webhooks.consumer.ts).
 */
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { findMerchant } from "../db/repositories/merchants.repo";
import {
  deliveriesOf,
  findDelivery,
  findSubscription,
  insertSubscription,
  listDeliveries,
  listSubscriptions,
  markPending,
  updateSubscription,
  type DeliveryRow,
  type DeliveryStatus,
  type SubscriptionRow,
} from "../db/repositories/webhooks.repo";
import { truncated, type WebhookEventType } from "../domain/webhooks";
import type { Auth } from "../env";
import { AppError, notFound } from "../errors";
import { merchantScope } from "../identity/scope";
import { decodeCursor, toPage } from "../lib/cursor";
import { newId } from "../lib/ids";
import { Pii } from "../lib/pii";
import { newSecret, slot } from "./secrets";
import { requireSafeUrl } from "./url-guard";
import { enqueueDeliveries } from "./webhooks.consumer";

/** How a subscription reads (never its secret). */
export interface SubscriptionView {
  id: string;
  merchantId: string | null;
  url: string;
  events: string[];
  description: string | null;
  status: "active" | "paused";
  /** While a rotation's overlap lasts, the previous secret still signs (a second `v1`) until then. */
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function view(row: SubscriptionRow, now = Date.now()): SubscriptionView {
  return {
    id: row.id,
    merchantId: row.merchantId,
    url: row.url,
    events: row.events,
    description: row.description,
    status: row.status === "paused" ? "paused" : "active",
    previousSecretExpiresAt: row.previousSecretUntil !== null && row.previousSecretUntil > now ? iso(row.previousSecretUntil) : null,
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
  };
}

/** One delivery as the log shows it; the bodies cut to `LOGGED_BODY_CHARS`. */
export function deliveryView(row: DeliveryRow) {
  return {
    id: row.id,
    subscriptionId: row.subscriptionId,
    merchantId: row.merchantId,
    eventId: row.eventId,
    eventType: row.eventType,
    orderId: row.orderId,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.lastStatusCode,
    lastLatencyMs: row.lastLatencyMs,
    lastError: row.lastError,
    lastAttemptAt: iso(row.lastAttemptAt),
    nextRetryAt: iso(row.nextRetryAt),
    deliveredAt: iso(row.deliveredAt),
    createdAt: iso(row.createdAt)!,
    requestBody: truncated(row.body),
    responseBody: row.lastResponse,
  };
}

/** The merchant a new subscription is for: a merchant admin's own (another one is 404), anyone's for the platform. */
function ownerOf(actor: Auth, asked: string | undefined): string | null {
  const scope = merchantScope(actor);
  if (scope === undefined) return asked ?? null;
  if (asked !== undefined && asked !== scope) throw notFound("Merchant");
  return scope;
}

async function ownSubscription(env: Env, actor: Auth, id: string): Promise<SubscriptionRow> {
  const row = await findSubscription(getDb(env), id, merchantScope(actor));
  if (!row) throw notFound("Webhook subscription");
  return row;
}

/**
 * Subscribes `url` to `events`: the URL must pass the SSRF guard (422 WEBHOOK_URL_REFUSED). The
 * answer carries the signing secret, the only time it is shown. Audited.
 */
export async function createSubscription(
  env: Env,
  actor: Auth,
  input: { url: string; events: WebhookEventType[]; description?: string; merchantId?: string },
  now = Date.now(),
): Promise<SubscriptionView & { secret: string }> {
  const merchantId = ownerOf(actor, input.merchantId);
  const url = await requireSafeUrl(env, input.url);
  const db = getDb(env);
  if (merchantId !== null) {
    if (!(await findMerchant(db, merchantId))) throw notFound("Merchant");
  }
  const id = newId("whs", now);
  const secret = newSecret();
  const pii = await Pii.fromEnv(env);
  const row: SubscriptionRow = {
    id,
    merchantId,
    url,
    events: [...new Set(input.events)],
    description: input.description ?? null,
    status: "active",
    secretEnc: await pii.seal(slot(id, "secret"), secret),
    previousSecretEnc: null,
    previousSecretUntil: null,
    createdBy: actor.accountId,
    createdAt: now,
    updatedAt: now,
  };
  await insertSubscription(db, row);
  await appendAudit(
    db,
    {
      actorId: actor.accountId,
      action: "webhook.create",
      targetType: "webhook_subscription",
      targetId: id,
      data: { merchantId, events: row.events },
    },
    now,
  );
  return { ...view(row, now), secret };
}

/** The caller's subscriptions (a merchant admin: its merchant's), newest first. */
export async function subscriptions(env: Env, actor: Auth, q: { limit: number; cursor?: string }) {
  const rows = await listSubscriptions(getDb(env), { merchantId: merchantScope(actor), beforeId: decodeCursor(q.cursor) }, q.limit + 1);
  const page = toPage(rows, q.limit);
  return { items: page.items.map((r) => view(r)), nextCursor: page.nextCursor };
}

export async function subscription(env: Env, actor: Auth, id: string): Promise<SubscriptionView> {
  return view(await ownSubscription(env, actor, id));
}

/**
 * Changes a subscription's URL (checked again), events, description or state. Pausing holds new
 * deliveries (`held`); resuming sends what was held.
 */
export async function changeSubscription(
  env: Env,
  actor: Auth,
  id: string,
  patch: { url?: string; events?: WebhookEventType[]; description?: string | null; status?: "active" | "paused" },
  now = Date.now(),
): Promise<SubscriptionView> {
  const before = await ownSubscription(env, actor, id);
  const url = patch.url === undefined ? undefined : await requireSafeUrl(env, patch.url);
  const row = await updateSubscription(getDb(env), id, {
    ...(url !== undefined ? { url } : {}),
    ...(patch.events ? { events: [...new Set(patch.events)] } : {}),
    ...(patch.description !== undefined ? { description: patch.description } : {}),
    ...(patch.status ? { status: patch.status } : {}),
    updatedAt: now,
  });
  if (!row) throw notFound("Webhook subscription");
  if (before.status === "paused" && row.status === "active") await resend(env, row.id, ["held"], 0, now);
  return view(row, now);
}

/** Deletes a subscription: nothing more is sent to it; its delivery log stays readable. Audited. */
export async function deleteSubscription(env: Env, actor: Auth, id: string, now = Date.now()): Promise<void> {
  await ownSubscription(env, actor, id);
  const db = getDb(env);
  const row = await updateSubscription(db, id, { status: "deleted", updatedAt: now });
  if (!row) throw notFound("Webhook subscription");
  await appendAudit(db, { actorId: actor.accountId, action: "webhook.delete", targetType: "webhook_subscription", targetId: id }, now);
}

/**
 * Rotates the signing secret: the new one is answered once and signs from now on; the previous one
 * keeps signing too (a second `v1`) for `overlapSeconds`, so receivers can switch without losing a
 * delivery. Audited.
 */
export async function rotateSecret(
  env: Env,
  actor: Auth,
  id: string,
  overlapSeconds: number,
  now = Date.now(),
): Promise<SubscriptionView & { secret: string }> {
  const before = await ownSubscription(env, actor, id);
  const pii = await Pii.fromEnv(env);
  const previous = await pii.open(slot(id, "secret"), before.secretEnc);
  const secret = newSecret();
  const db = getDb(env);
  const row = await updateSubscription(db, id, {
    secretEnc: await pii.seal(slot(id, "secret"), secret),
    previousSecretEnc: overlapSeconds > 0 ? await pii.seal(slot(id, "previous_secret"), previous) : null,
    previousSecretUntil: overlapSeconds > 0 ? now + overlapSeconds * 1000 : null,
    updatedAt: now,
  });
  if (!row) throw notFound("Webhook subscription");
  await appendAudit(
    db,
    {
      actorId: actor.accountId,
      action: "webhook.rotate_secret",
      targetType: "webhook_subscription",
      targetId: id,
      data: { overlapSeconds },
    },
    now,
  );
  return { ...view(row, now), secret };
}

const DELIVERY_STATUSES: readonly DeliveryStatus[] = ["pending", "retrying", "succeeded", "failed", "held"];

/** The delivery log within the caller's scope, newest first. */
export async function deliveries(
  env: Env,
  actor: Auth,
  q: { subscriptionId?: string; status?: DeliveryStatus; limit: number; cursor?: string },
) {
  const rows = await listDeliveries(
    getDb(env),
    { merchantId: merchantScope(actor), subscriptionId: q.subscriptionId, status: q.status, beforeId: decodeCursor(q.cursor) },
    q.limit + 1,
  );
  const page = toPage(rows, q.limit);
  return { items: page.items.map(deliveryView), nextCursor: page.nextCursor };
}

export async function delivery(env: Env, actor: Auth, id: string) {
  const row = await findDelivery(getDb(env), id, merchantScope(actor));
  if (!row) throw notFound("Webhook delivery");
  return deliveryView(row);
}

/** Replay holds this many deliveries at most per call (D1 binds at most 100 parameters a statement). */
const REPLAY_MAX = 90;

async function resend(env: Env, subscriptionId: string, statuses: DeliveryStatus[], since: number, now: number): Promise<number> {
  const db = getDb(env);
  const ids = await deliveriesOf(db, subscriptionId, statuses, since, REPLAY_MAX);
  await markPending(db, ids, now);
  await enqueueDeliveries(env, ids);
  return ids.length;
}

/**
 * Sends one delivery again, whatever became of it (the same body, signed anew); 409 while its
 * subscription is paused or deleted.
 */
export async function replayDelivery(env: Env, actor: Auth, id: string, now = Date.now()) {
  const db = getDb(env);
  const row = await findDelivery(db, id, merchantScope(actor));
  if (!row) throw notFound("Webhook delivery");
  const sub = await findSubscription(db, row.subscriptionId, undefined);
  if (!sub || sub.status !== "active") throw AppError.of("CONFLICT");
  await markPending(db, [id], now);
  await enqueueDeliveries(env, [id]);
  return deliveryView({ ...row, status: "pending", nextRetryAt: null, updatedAt: now });
}

/**
 * Sends again a subscription's deliveries of `statuses` (default: failed) written since `since`, the
 * oldest first, at most 90 a call (`more` tells whether to call again).
 */
export async function replaySubscription(
  env: Env,
  actor: Auth,
  id: string,
  q: { since: string; statuses?: DeliveryStatus[] },
  now = Date.now(),
): Promise<{ replayed: number; more: boolean }> {
  const sub = await ownSubscription(env, actor, id);
  if (sub.status !== "active") throw AppError.of("CONFLICT");
  const statuses = q.statuses?.length ? q.statuses.filter((s) => DELIVERY_STATUSES.includes(s)) : (["failed"] as DeliveryStatus[]);
  const replayed = await resend(env, id, statuses, Date.parse(q.since), now);
  return { replayed, more: replayed === REPLAY_MAX };
}
