/**
 * Number privacy (隐私号) for orders. Once a technician accepts, the order's contact (A) and the
 * technician (B) are bound to a virtual number X at the provider (`src/adapters/number-privacy.ts`);
 * while the binding is active both are shown X instead of a real number. The binding ends when the
 * number may no longer be shown (completion + REVEAL_GRACE_MINUTES, cancellation), and a new
 * technician gets a binding of their own.
 *
 * The order is the truth: `syncOrderNumber` compares what it calls for with the bindings on record
 * and makes the provider calls that close the gap. It runs off the request path, from the
 * notifications consumer after each relevant `order.status` message, and every minute from the
 * cron, which also retries failures with backoff and ends bindings whose grace ran out. A provider
 * failure never fails anything else: the binding is tried again later and until it is active the
 * usual masking rules apply. With `NUMBER_PRIVACY=off` nothing here reads or calls anything.
 */
import { config } from "../config";
import { getDb } from "../db/client";
import {
  activeBinding,
  bindingsOfOrder,
  claimBinding,
  insertPendingBinding,
  markBound,
  markReleased,
  markSkipped,
  ordersNeedingBindingWork,
  scheduleRetry,
  type NumberBindingRow,
} from "../db/repositories/number-bindings.repo";
import { findOrder, type OrderRow } from "../db/repositories/orders.repo";
import { findTechnician } from "../db/repositories/technicians.repo";
import { isRevealed, REVEAL_STATUSES, type OrderStatus } from "../domain/order-state";
import { e164OfMainland } from "../domain/phone";
import { newId } from "../lib/ids";
import { Pii } from "../lib/pii";
import { numberPrivacy, numberPrivacyEnabled, type NumberPrivacy } from "../adapters/number-privacy";
import { ProviderError } from "../adapters/provider-error";

/** A worker owns a binding this long for one provider call (well above the adapter's timeout). */
const LEASE_MS = 60_000;
/** A failed call is tried again after 30 s, doubling, at most every 30 minutes. */
const RETRY_FIRST_MS = 30_000;
const RETRY_MAX_MS = 30 * 60_000;
/** The provider drops a binding by itself this long after the visit's end and the grace. */
const EXPIRY_SLACK_MS = 6 * 3_600_000;
/** A binding this close to its expiry is replaced by a new one while the order still needs it. */
const RENEW_MARGIN_MS = 10 * 60_000;
/** Orders the cron works on per kind and run. */
const CRON_LIMIT = 50;
/** Numbers the provider can bind: mainland mobiles. */
const MAINLAND_MOBILE = /^\+861[3-9]\d{9}$/;

const graceMs = (env: Env) => config(env).REVEAL_GRACE_MINUTES * 60_000;

/** The wait before the next try after `attempts` calls. */
export function bindingRetryDelayMs(attempts: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.max(0, attempts - 1));
}

/** What one run did. */
export interface NumberSync {
  bound: number;
  unbound: number;
  failed: number;
}

const log = (level: "info" | "warn" | "error", msg: string, fields: Record<string, unknown>) =>
  console[level === "info" ? "log" : level](JSON.stringify({ level, msg, ...fields }));

/** Whether an order's change from `from` to `to` may start, keep or end its binding. */
export function changesNumberBinding(from: string | null, to: string): boolean {
  const shows = (s: string | null) => s !== null && (REVEAL_STATUSES as readonly string[]).includes(s);
  return shows(to) || shows(from) || from === "completed";
}

/** The order and binding fields that decide what number privacy does. */
type PlanOrder = { technicianId: string | null; status: OrderStatus; completedAt: number | null; updatedAt: number };
type PlanBinding = Pick<NumberBindingRow, "status" | "technicianId" | "expiresAt" | "nextAttemptAt">;

/**
 * What bringing an order's bindings in line with it at `now` takes, in order: `release` a pending
 * binding of a technician it no longer has (never bound: nothing to undo at the provider),
 * `expired` a binding the provider dropped by itself, `bind` a pending binding that is due,
 * `unbind` an active one that may no longer be shown (or nears its expiry) and is due. `bindFor`
 * is the technician to bind afresh unless one of the rows covers them (`covers`: an `unbind` of a
 * row that does cover them covers them still when it fails). Pure: no reads, no calls.
 */
export function planNumberSync<B extends PlanBinding>(
  order: PlanOrder | undefined,
  rows: B[],
  now: number,
  graceMs: number,
): { steps: { do: "release" | "expired" | "bind" | "unbind"; row: B; covers: boolean }[]; bindFor: string | null; covered: boolean } {
  const keepFor = order?.technicianId && isRevealed(order, graceMs, now) ? order.technicianId : null;
  const bindFor = order?.technicianId && REVEAL_STATUSES.includes(order.status) ? order.technicianId : null;
  const due = (r: PlanBinding) => r.nextAttemptAt === null || r.nextAttemptAt <= now;
  const steps: { do: "release" | "expired" | "bind" | "unbind"; row: B; covers: boolean }[] = [];
  let covered = false;
  for (const row of rows) {
    const covers = row.technicianId === bindFor;
    if (row.status === "skipped") {
      covered ||= covers;
    } else if (row.status === "pending") {
      // One held by a binder right now is left to it; the cron ends that binding once it is active.
      if (!covers) steps.push({ do: "release", row, covers });
      else {
        covered = true;
        if (due(row) && order) steps.push({ do: "bind", row, covers });
      }
    } else if (row.expiresAt !== null && row.expiresAt <= now) {
      steps.push({ do: "expired", row, covers });
    } else {
      const expiring = row.expiresAt === null || row.expiresAt <= now + RENEW_MARGIN_MS;
      if ((row.technicianId === keepFor && !expiring) || !due(row)) covered ||= covers;
      else steps.push({ do: "unbind", row, covers });
    }
  }
  return { steps, bindFor: order ? bindFor : null, covered };
}

/**
 * Whether the order's bindings need any work at `now` (a pure check on what was read already: the
 * notifications consumer reads it with its batch, so an order change that needs nothing costs no
 * D1 statement).
 */
export function numberWorkDue(order: PlanOrder | undefined, rows: PlanBinding[], now: number, graceMs: number): boolean {
  const plan = planNumberSync(order, rows, now, graceMs);
  return plan.steps.length > 0 || (plan.bindFor !== null && !plan.covered);
}

/**
 * Brings the order's bindings in line with the order at `now`: binds its technician while it is
 * accepted and under way, keeps that binding through the reveal grace after completion, and ends
 * any binding of a technician it no longer has, or once nothing may be shown. Calls the provider
 * only for rows that are due (a failure waits for its retry time) and not held by another worker.
 */
export async function syncOrderNumber(env: Env, orderId: string, now = Date.now()): Promise<NumberSync> {
  const done: NumberSync = { bound: 0, unbound: 0, failed: 0 };
  const provider = numberPrivacy(config(env));
  if (!provider) return done;
  const db = getDb(env);
  const [order, rows] = await Promise.all([findOrder(db, orderId), bindingsOfOrder(db, orderId)]);
  const plan = planNumberSync(order, rows, now, graceMs(env));
  let covered = plan.covered;
  for (const { do: what, row, covers } of plan.steps) {
    if (what === "release" || what === "expired") await markReleased(db, row.id, now);
    else if (what === "bind") tally(done, await bind(env, provider, order!, row, now));
    else {
      const outcome = await release(env, provider, row, now);
      tally(done, outcome);
      // Not yet unbound: X still connects the pair until it is.
      if (outcome !== "unbound") covered ||= covers;
    }
  }
  if (order && plan.bindFor && !covered) {
    const row = await insertPendingBinding(
      db,
      { id: newId("pnb"), orderId: order.id, technicianId: plan.bindFor, provider: "aliyun", poolKey: provider.poolKey },
      now,
    );
    if (row) tally(done, await bind(env, provider, order, row, now));
  }
  return done;
}

type Outcome = "bound" | "unbound" | "failed" | "skipped" | "busy";

function tally(done: NumberSync, outcome: Outcome): void {
  if (outcome === "bound" || outcome === "unbound" || outcome === "failed") done[outcome] += 1;
}

/** The contact's and the technician's phones, when both can be bound. */
async function phonesOf(env: Env, order: OrderRow, technicianId: string): Promise<{ a: string; b: string } | null> {
  const tech = await findTechnician(getDb(env), technicianId);
  if (!tech) return null;
  const pii = await Pii.fromEnv(env);
  const [address, b] = await Promise.all([pii.decrypt("order_address", order.addressEnc), pii.decrypt("phone", tech.phoneEnc)]);
  const a = (JSON.parse(address) as { contactPhone: string }).contactPhone;
  return MAINLAND_MOBILE.test(a) && MAINLAND_MOBILE.test(b) ? { a, b } : null;
}

async function failed(env: Env, row: NumberBindingRow, attempts: number, what: "bind" | "unbind", err: unknown, now: number) {
  const code = err instanceof ProviderError ? (err.code ?? (err.status ? `HTTP_${err.status}` : "UNREACHABLE")) : "INTERNAL";
  const retryAt = now + bindingRetryDelayMs(attempts);
  await scheduleRetry(getDb(env), row.id, code, retryAt, now);
  // The error's own message names the action and the provider's code: never a number.
  log("warn", "number_privacy.retry", {
    what,
    orderId: row.orderId,
    bindingId: row.id,
    attempts,
    code,
    retryAt: new Date(retryAt).toISOString(),
    error: err instanceof Error ? err.message : "unknown",
  });
}

async function bind(env: Env, provider: NumberPrivacy, order: OrderRow, row: NumberBindingRow, now: number): Promise<Outcome> {
  const db = getDb(env);
  const claimed = await claimBinding(db, row.id, "pending", now, LEASE_MS);
  if (!claimed) return "busy";
  try {
    const phones = await phonesOf(env, order, row.technicianId);
    if (!phones) {
      await markSkipped(db, row.id, "NUMBER_NOT_BINDABLE", now);
      log("warn", "number_privacy.skipped", { orderId: row.orderId, bindingId: row.id, code: "NUMBER_NOT_BINDABLE" });
      return "skipped";
    }
    const expiresAt = Math.max(order.endAt, now) + graceMs(env) + EXPIRY_SLACK_MS;
    const bound = await provider.bind({ phoneA: phones.a, phoneB: phones.b, expiresAt, outId: row.id });
    await markBound(db, row.id, { ...bound, expiresAt }, now);
    log("info", "number_privacy.bound", { orderId: row.orderId, bindingId: row.id });
    return "bound";
  } catch (err) {
    if (err instanceof ProviderError && !err.retryable) {
      await markSkipped(db, row.id, err.code ?? "REFUSED", now);
      log("warn", "number_privacy.skipped", { orderId: row.orderId, bindingId: row.id, code: err.code });
      return "skipped";
    }
    await failed(env, row, claimed.attempts, "bind", err, now);
    return "failed";
  }
}

async function release(env: Env, provider: NumberPrivacy, row: NumberBindingRow, now: number): Promise<Outcome> {
  const db = getDb(env);
  const claimed = await claimBinding(db, row.id, "active", now, LEASE_MS);
  if (!claimed) return "busy";
  try {
    await provider.unbind({ poolKey: row.poolKey, subsId: row.subsId ?? "", secretNo: row.secretNo ?? "" });
    await markReleased(db, row.id, now, { leased: true });
    log("info", "number_privacy.unbound", { orderId: row.orderId, bindingId: row.id });
    return "unbound";
  } catch (err) {
    await failed(env, row, claimed.attempts, "unbind", err, now);
    return "failed";
  }
}

/** Whether number privacy may have work after an order's change from `from` to `to` (no read, no call). */
export function followsOrderNumber(env: Env, change: { from: string | null; to: string }): boolean {
  return changesNumberBinding(change.from, change.to) && numberPrivacyEnabled(config(env));
}

/**
 * After an `order.status` message (the notifications consumer): binds or unbinds what the change
 * calls for. With `known` (the order and its bindings, read with the consumer's batch) nothing is
 * read or called unless there is work to do. Never throws: whatever fails is left to the cron.
 */
export async function followOrderNumber(
  env: Env,
  change: { orderId: string; from: string | null; to: string },
  known?: { order: PlanOrder | undefined; bindings: PlanBinding[] },
  now = Date.now(),
): Promise<void> {
  try {
    if (!followsOrderNumber(env, change)) return;
    if (known && !numberWorkDue(known.order, known.bindings, now, graceMs(env))) return;
    await syncOrderNumber(env, change.orderId, now);
  } catch (err) {
    log("error", "number_privacy.failed", { orderId: change.orderId, error: err instanceof Error ? err.message : String(err) });
  }
}

/**
 * The cron's pass (every minute): retries failed binds and unbinds that are due, ends bindings
 * whose order no longer shows the number (the reveal grace after completion ran out, the order
 * was cancelled or changed hands, the binding nears its expiry) and binds live orders that have
 * none yet (say, privacy switched on, or a consumer that never ran). One order's failure does not
 * stop the others.
 */
export async function reconcileNumberBindings(env: Env, now = Date.now()): Promise<NumberSync> {
  const done: NumberSync = { bound: 0, unbound: 0, failed: 0 };
  if (!numberPrivacyEnabled(config(env))) return done;
  const ids = await ordersNeedingBindingWork(getDb(env), {
    now,
    graceMs: graceMs(env),
    expiringBefore: now + RENEW_MARGIN_MS,
    bindStatuses: REVEAL_STATUSES,
    limit: CRON_LIMIT,
  });
  for (const id of ids) {
    try {
      const one = await syncOrderNumber(env, id, now);
      done.bound += one.bound;
      done.unbound += one.unbound;
      done.failed += one.failed;
    } catch (err) {
      done.failed += 1;
      log("error", "number_privacy.failed", { orderId: id, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return done;
}

/**
 * The virtual number (E.164) the viewer may call to reach the other side of the order now, or
 * null: none bound, privacy off, or the number may not be shown. The customer sees the number of
 * the order's current technician; a technician only their own binding's.
 */
export async function virtualNumberFor(
  env: Env,
  order: Pick<OrderRow, "id" | "status" | "technicianId" | "completedAt" | "updatedAt">,
  viewer: { customer: true } | { technicianId: string },
  now = Date.now(),
): Promise<string | null> {
  if (!numberPrivacyEnabled(config(env)) || !order.technicianId) return null;
  if (!isRevealed(order, graceMs(env), now)) return null;
  if ("technicianId" in viewer && viewer.technicianId !== order.technicianId) return null;
  const row = await activeBinding(getDb(env), order.id, now);
  if (!row?.secretNo || row.technicianId !== order.technicianId) return null;
  return e164OfMainland(row.secretNo);
}
