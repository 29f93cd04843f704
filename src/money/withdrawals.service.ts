/**
 * Technician earnings and withdrawals: earnings are pending until the settlement delay has passed
 * after their split, then available; a withdrawal of available money waits for a platform operator
 * (the technician's merchant sees it but does not decide it: separation of duties) and is paid out
 * through the payout provider, with its ledger entries.
 */
import type { OutboxMessage } from "../domain/outbox";
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { ledgerStatements } from "../db/repositories/ledger.repo";
import { rosterEntry } from "../db/repositories/roster.repo";
import { outboxRow, runBatch, withdrawalMarked } from "../db/repositories/statements";
import {
  earningEntries,
  earningTotals,
  findWithdrawal,
  insertWithdrawalIfCovered,
  listWithdrawals,
  withdrawalMoved,
  type WithdrawalRow,
} from "../db/repositories/withdrawals.repo";
import { eventRow, type ProviderEventRow } from "../db/repositories/payments.repo";
import { account, payoutRequestTx, payoutReversalTx, withdrawalTx } from "../domain/ledger";
import { fenToYuan, providerName, type WithdrawalStatus } from "../domain/money";
import { TRANSFER_NAME_FROM } from "../adapters/wechatpay";
import { isPlatform } from "../domain/roles";
import type { Auth } from "../env";
import { AppError, notFound } from "../errors";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import { newId } from "../lib/ids";
import { notifyUrl, withdrawalLimits } from "./providers";
import { providerClient, type PayoutState } from "../adapters/payment-provider";
import { isDuplicate } from "./refund-flow.service";
import { isRefusal, ProviderError, providerFailed } from "../adapters/provider-error";
import { config } from "../config";
import { needsPayee, payoutPayee } from "../technicians/payees.service";
import { logger } from "../lib/log";

const CURRENCY = "CNY";
const money = (amount: number) => ({ amount, currency: CURRENCY });
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Totals (earned, pending, available, withdrawing, withdrawn) and the entries per order, newest first. */
export async function earnings(env: Env, technicianId: string, q: { limit: number; cursor?: string }, now = Date.now()) {
  const db = getDb(env);
  const code = account("technician_payable", technicianId).code;
  const [t, rows] = await Promise.all([
    earningTotals(db, code, technicianId, now),
    earningEntries(db, code, decodeCursor(q.cursor), q.limit + 1),
  ]);
  const items = rows.slice(0, q.limit).map((e) => ({
    orderId: e.orderId!,
    amount: money(-e.amount),
    status: e.availableAt <= now ? ("available" as const) : ("pending" as const),
    availableAt: iso(e.availableAt)!,
    at: iso(e.createdAt)!,
  }));
  const last = rows.length > q.limit ? rows[q.limit - 1] : undefined;
  return {
    totals: {
      earned: money(t.earned),
      pending: money(t.balance - t.available),
      available: money(Math.max(0, t.available - t.withdrawing)),
      // Processing payouts are out of the balance already (payout_request) but not withdrawn yet.
      withdrawing: money(t.withdrawing + t.inTransit),
      withdrawn: money(t.withdrawn - t.inTransit),
    },
    items,
    nextCursor: last ? encodeCursor(last.id) : null,
  };
}

export function withdrawalView(w: WithdrawalRow) {
  return {
    id: w.id,
    technicianId: w.technicianId,
    amount: money(w.amount),
    status: w.status,
    payoutProvider: w.payoutProvider,
    payoutRef: w.payoutRef,
    reason: w.reason,
    createdAt: iso(w.createdAt)!,
    decidedAt: iso(w.decidedAt),
    paidAt: iso(w.paidAt),
  };
}

/** Start of the UTC+8 day containing `now` (withdrawal limits count per local business day). */
const dayStart = (now: number) => Math.floor((now + 8 * 3_600_000) / 86_400_000) * 86_400_000 - 8 * 3_600_000;

/** Asks to withdraw `amount` of the available balance, within the limits. */
export async function requestWithdrawal(env: Env, technicianId: string, amount: number) {
  const limits = withdrawalLimits(env);
  if (amount < limits.min || amount > limits.max) {
    throw AppError.of(
      "WITHDRAWAL_AMOUNT_OUT_OF_RANGE",
      { min: limits.min, max: limits.max },
      { errors: [{ path: "body.amount", message: `between ${limits.min} and ${limits.max}` }] },
    );
  }
  const db = getDb(env);
  const entry = await rosterEntry(db, technicianId);
  if (!entry) throw notFound("Technician");
  // A live provider pays only to an account on file; the local client needs none.
  if (config(env).PAYMENT_PROVIDER_CLIENT === "live" && needsPayee(limits.provider)) {
    const payee = await payoutPayee(env, technicianId, limits.provider);
    if (!payee) {
      throw AppError.of("PAYEE_ACCOUNT_MISSING", { provider: providerName(limits.provider) }, { extra: { provider: limits.provider } });
    }
    // WeChat Pay takes transfers of ¥2,000 or more only with the payee's real name.
    if (limits.provider === "wechatpay" && amount >= TRANSFER_NAME_FROM && !payee.payeeName) {
      throw AppError.of("PAYEE_NAME_REQUIRED", { from: fenToYuan(TRANSFER_NAME_FROM) }, { extra: { provider: limits.provider } });
    }
  }
  const now = Date.now();
  const row: WithdrawalRow = {
    id: newId("wdr", now),
    technicianId,
    merchantId: entry.profile.merchantId,
    amount,
    currency: CURRENCY,
    status: "requested",
    payoutProvider: limits.provider,
    payoutRef: null,
    confirmationPackage: null,
    changeId: null,
    reason: null,
    decidedBy: null,
    decidedAt: null,
    paidAt: null,
    createdAt: now,
    updatedAt: now,
  };
  const outcome = await insertWithdrawalIfCovered(db, row, {
    account: account("technician_payable", technicianId).code,
    dayStart: dayStart(now),
    perDay: limits.perDay,
  });
  if (outcome === "limit") {
    throw AppError.of("WITHDRAWAL_LIMIT", { perDay: limits.perDay });
  }
  if (outcome === "insufficient") {
    throw AppError.of("INSUFFICIENT_BALANCE");
  }
  return withdrawalView(row);
}

/**
 * A technician's own withdrawal: with `confirmation` (what the app hands to WeChat's
 * wx.requestMerchantTransfer) while its transfer is processing and waiting for them to confirm.
 */
export function ownWithdrawalView(env: Env, w: WithdrawalRow) {
  const cfg = config(env);
  const waiting = w.status === "processing" && w.payoutProvider === "wechatpay" && w.confirmationPackage;
  return {
    ...withdrawalView(w),
    confirmation: waiting ? { mchId: cfg.WECHATPAY_MCHID, appId: cfg.WECHATPAY_APPID, package: w.confirmationPackage! } : null,
  };
}

export async function ownWithdrawals(env: Env, technicianId: string, q: { limit: number; cursor?: string }) {
  return page(await listWithdrawals(getDb(env), { technicianId, beforeId: decodeCursor(q.cursor) }, q.limit + 1), q.limit, (w) =>
    ownWithdrawalView(env, w),
  );
}

function page<V>(rows: WithdrawalRow[], limit: number, view: (w: WithdrawalRow) => V) {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items: items.map(view), nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
}

export async function withdrawalsForStaff(
  env: Env,
  auth: Auth,
  q: { status?: WithdrawalStatus; technicianId?: string; limit: number; cursor?: string },
) {
  const merchantId = isPlatform(auth.roles) ? undefined : (auth.merchantId ?? "__none__");
  return page(
    await listWithdrawals(
      getDb(env),
      { status: q.status, technicianId: q.technicianId, merchantId, beforeId: decodeCursor(q.cursor) },
      q.limit + 1,
    ),
    q.limit,
    withdrawalView,
  );
}

/**
 * A withdrawal the caller may decide: platform operators and admins only (separation of duties: a
 * merchant_admin sees its technicians' withdrawals but never decides one, 403).
 */
async function decidableWithdrawal(env: Env, auth: Auth, id: string): Promise<WithdrawalRow> {
  if (!isPlatform(auth.roles)) throw AppError.of("FORBIDDEN");
  const w = await findWithdrawal(getDb(env), id);
  if (!w) throw notFound({ en: "Withdrawal", zh: "提现" });
  return w;
}

const decided = (w: WithdrawalRow) => AppError.of("WITHDRAWAL_DECIDED", { status: w.status }, { extra: { status: w.status } });

/**
 * Approves a requested withdrawal and pays it out. When the provider does not answer, the approval
 * stands (reconciliation pays it out) and the operator gets 503 PAYOUT_DELAYED with the withdrawal.
 */
export async function approveWithdrawal(env: Env, auth: Auth, id: string, origin?: string) {
  const db = getDb(env);
  const w = await decidableWithdrawal(env, auth, id);
  const now = Date.now();
  const [moved] = await runBatch(db, [
    withdrawalMoved(db, w.id, "requested", { status: "approved", decidedBy: auth.accountId, decidedAt: now }, now),
  ]);
  if (moved?.meta.changes !== 1) throw decided(w);
  await appendAudit(db, {
    actorId: auth.accountId,
    action: "withdrawal.approve",
    targetType: "withdrawal",
    targetId: w.id,
    data: { technicianId: w.technicianId, amount: w.amount },
  });
  try {
    await payOut(env, w.id, origin);
  } catch (err) {
    // Approved stands; reconciliation pays it out once the provider answers. The operator is told.
    if (!(err instanceof ProviderError)) throw err;
    providerFailed("payout", w.id, err);
    const view = withdrawalView((await findWithdrawal(db, w.id))!);
    throw AppError.of("PAYOUT_DELAYED", { provider: providerName(w.payoutProvider) }, { extra: { withdrawal: view } });
  }
  return withdrawalView((await findWithdrawal(db, w.id))!);
}

export async function rejectWithdrawal(env: Env, auth: Auth, id: string, reason: string) {
  const db = getDb(env);
  const w = await decidableWithdrawal(env, auth, id);
  const now = Date.now();
  const [moved] = await runBatch(db, [
    withdrawalMoved(db, w.id, "requested", { status: "rejected", reason, decidedBy: auth.accountId, decidedAt: now }, now),
  ]);
  if (moved?.meta.changes !== 1) throw decided(w);
  await appendAudit(db, {
    actorId: auth.accountId,
    action: "withdrawal.reject",
    targetType: "withdrawal",
    targetId: w.id,
    data: { technicianId: w.technicianId, amount: w.amount, reason },
  });
  return withdrawalView((await findWithdrawal(db, w.id))!);
}

/** Where WeChat Pay reports a transfer's final state: PAYMENT_NOTIFY_BASE_URL, else the request's origin. */
function payoutNotifyUrl(env: Env, provider: string, origin?: string): string | undefined {
  if (provider !== "wechatpay") return undefined;
  if (!config(env).PAYMENT_NOTIFY_BASE_URL && !origin) return undefined;
  return notifyUrl(env, origin ?? "", "wechatpay");
}

/**
 * Pays an approved withdrawal out (idempotent per withdrawal at the provider: out_bill_no,
 * out_biz_no) and applies the answer (see applyPayoutOutcome). The provider refusing the transfer
 * itself (isRefusal: a 4xx business error) fails the withdrawal with its code, as a FAIL answer
 * does. Any other provider failure throws ProviderError and changes nothing: the withdrawal stays
 * approved for reconciliation.
 */
export async function payOut(env: Env, id: string, origin?: string): Promise<void> {
  const db = getDb(env);
  const w = await findWithdrawal(db, id);
  if (!w || w.status !== "approved") return;
  const payee = await payoutPayee(env, w.technicianId, w.payoutProvider);
  let answer: PayoutState;
  try {
    answer = await providerClient(env).payout({
      withdrawalId: w.id,
      provider: w.payoutProvider,
      technicianId: w.technicianId,
      amount: w.amount,
      currency: w.currency,
      notifyUrl: payoutNotifyUrl(env, w.payoutProvider, origin),
      ...payee,
    });
  } catch (err) {
    if (!isRefusal(err)) throw err;
    answer = { status: "failed", reason: `payout refused: ${err.code ?? err.status}` };
  }
  await applyPayoutOutcome(env, w.id, answer);
}

/**
 * Asks the provider about a processing withdrawal and applies a final answer. Unknown to the
 * provider or still on its way: it stays processing (and goes to the back of the queue).
 */
export async function queryPayout(env: Env, id: string): Promise<"paid" | "failed" | "processing"> {
  const db = getDb(env);
  const w = await findWithdrawal(db, id);
  if (!w || w.status !== "processing") return "processing";
  const answer = await providerClient(env).queryPayout(w.payoutProvider, w.id);
  if (!answer || answer.status === "processing") {
    await runBatch(db, [withdrawalMoved(db, w.id, "processing", {}, Date.now())]);
    return "processing";
  }
  await applyPayoutOutcome(env, w.id, answer, {
    provider: w.payoutProvider,
    eventId: `query:${w.id}`,
    type: `query.payout_${answer.status}`,
    paymentId: null,
    refundId: null,
    data: { withdrawalId: w.id, status: answer.status },
    receivedAt: Date.now(),
  });
  return answer.status === "succeeded" ? "paid" : "failed";
}

/**
 * Applies what the provider said of a withdrawal's payout, once, in one batch guarded by the
 * withdrawal's status (with `event`, the provider event is recorded in it too, so a duplicate
 * notification changes nothing; false then):
 * - accepted but not finished (approved → processing): its money is set aside (payout_request);
 * - succeeded (→ paid): the money leaves through the provider (withdrawal), the technician is told;
 * - failed (→ failed, with the provider's reason): money set aside goes back to the technician's
 *   balance (payout_reversal), the technician is told, operators see the reason.
 * A withdrawal that is not approved or processing (decided meanwhile) is left alone.
 */
export async function applyPayoutOutcome(env: Env, id: string, answer: PayoutState, event?: ProviderEventRow): Promise<boolean> {
  const db = getDb(env);
  const w = await findWithdrawal(db, id);
  if (!w) return false;
  const from = w.status;
  const now = Date.now();
  const eventStmts = event ? [eventRow(db, event)] : [];
  if ((from !== "approved" && from !== "processing") || (from === "processing" && answer.status === "processing")) {
    return event ? recordEventOnly(db, eventStmts) : false;
  }
  const marker = newId("chg", now);
  const guard = withdrawalMarked(w.id, marker);
  const facts = { ...w, provider: w.payoutProvider };
  let stmts: D1PreparedStatement[];
  if (answer.status === "processing") {
    stmts = [
      withdrawalMoved(
        db,
        w.id,
        from,
        { status: "processing", payoutRef: answer.payoutRef || null, confirmationPackage: answer.confirmPackage ?? null, changeId: marker },
        now,
      ),
      ...ledgerStatements(db, payoutRequestTx(facts), now, guard),
    ];
  } else {
    const paid = answer.status === "succeeded";
    const reason = answer.status === "failed" ? answer.reason : null;
    const msg: OutboxMessage = {
      id: newId("msg"),
      topic: paid ? "withdrawal.paid" : "withdrawal.failed",
      payload: { withdrawalId: w.id, technicianId: w.technicianId, amount: w.amount },
    };
    const inTransit = from === "processing";
    const money = paid
      ? ledgerStatements(db, withdrawalTx(facts, inTransit), now, guard)
      : inTransit
        ? ledgerStatements(db, payoutReversalTx(facts), now, guard)
        : [];
    stmts = [
      withdrawalMoved(
        db,
        w.id,
        from,
        paid
          ? { status: "paid", payoutRef: answer.payoutRef || w.payoutRef, paidAt: now, changeId: marker }
          : { status: "failed", reason, changeId: marker },
        now,
      ),
      ...money,
      outboxRow(db, msg, now, guard),
    ];
    // No personal data: the provider's reason codes and our ids only.
    if (!paid) {
      logger.warn("withdrawal.failed", { withdrawalId: w.id, provider: w.payoutProvider, reason });
    }
  }
  try {
    const results = await runBatch(db, [...eventStmts, ...stmts]);
    return results[eventStmts.length]?.meta.changes === 1;
  } catch (err) {
    if (event && isDuplicate(err)) return false;
    throw err;
  }
}

async function recordEventOnly(db: ReturnType<typeof getDb>, stmts: D1PreparedStatement[]): Promise<boolean> {
  try {
    await runBatch(db, stmts);
    return false;
  } catch (err) {
    if (isDuplicate(err)) return false;
    throw err;
  }
}
