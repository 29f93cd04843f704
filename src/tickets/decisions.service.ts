/**
 * Deciding a ticket: resolve (any of a rework visit, a refund, a compensation coupon, a penalty to
 * the technician) or reject. Two staff deciding one ticket at once: exactly one decision wins.
 *
 * 1. Everything that can refuse without changing anything is checked first (the refund is planned:
 *    nothing paid left, a refund still open, too much asked).
 * 2. The decision claims the ticket (one guarded UPDATE; a second decision finds the claim and gets
 *    409 TICKET_DECIDED). A claim lapses after CLAIM_MS so a decision that died frees the ticket.
 * 3. A rework visit is booked through the cell (src/orders/rework.service.ts, idempotent per ticket);
 *    if the cell refuses, the claim is given up and nothing else happened.
 * 4. One D1 batch writes the decision (only while the claim is still this decision's) and, guarded
 *    on it, the refunds with the money they set aside, the coupon, the penalty's ledger transaction,
 *    the credit fact, the log entry, the notices and the Idempotency-Key's answer. So money moves
 *    exactly when the decision is written, and a retry under the same key replays the answer.
 */
import { creditFactStatementsOf } from "../credit";
import { config } from "../config";
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { ledgerStatements } from "../db/repositories/ledger.repo";
import { findOrder, type OrderRow } from "../db/repositories/orders.repo";
import { outboxRow, runBatch, type Guard } from "../db/repositories/statements";
import { penaltyTx } from "../domain/ledger";
import { OPEN_TICKET_STATUSES } from "../domain/tickets";
import type { Auth } from "../env";
import { AppError, invalid } from "../errors";
import { newId } from "../lib/ids";
import { planTicketRefund, sendTicketRefunds, type PlannedTicketRefund } from "../money";
import { bookRework, type Defer, type Seal } from "../orders";
import {
  claimTicket,
  couponInsert,
  decisionWrite,
  entryInsert,
  findTicket,
  nothingStored,
  releaseClaim,
  ticketDecidedBy,
  type TicketResolution,
  type TicketRow,
} from "./tickets.repo";
import { entryRow, ticketFor, ticketMessage, ticketView } from "./tickets.service";

/** How long a decision holds its claim on the ticket (a rework booking takes two remote calls). */
const CLAIM_MS = 60_000;

export interface ResolveInput {
  reason: string;
  /** A free rework visit at `start`; `technicianId` another technician, absent the order's own, null whoever dispatch picks. */
  rework?: { start: string; technicianId?: string | null };
  /** A refund through the refund flow: `amount` (default everything paid that is left). */
  refund?: { amount?: number };
  /** A one-use compensation coupon worth `amount` 分. */
  coupon?: { amount: number };
  /** A deduction of `amount` 分 from the technician's earnings, and the configured credit points. */
  penalty?: { amount: number };
}

const decided = () => AppError.of("TICKET_DECIDED");

function staffOnly(viewer: string) {
  if (viewer !== "staff") throw AppError.of("FORBIDDEN");
}

/** A coupon code nobody can guess: TK and 10 characters of Crockford base32. */
function couponCode(): string {
  const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  return `TK${Array.from(bytes, (b) => alphabet[b % 32]).join("")}`;
}

/** Runs `write` under a claim on the ticket; the claim is given up when `write` refuses. */
async function underClaim<T>(env: Env, ticket: TicketRow, write: (claimId: string) => Promise<T>): Promise<T> {
  const db = getDb(env);
  const claimId = newId("tkd");
  const now = Date.now();
  if (!(await claimTicket(db, ticket.id, claimId, now + CLAIM_MS, now))) throw decided();
  try {
    return await write(claimId);
  } catch (err) {
    await releaseClaim(db, ticket.id, claimId);
    throw err;
  }
}

/**
 * Resolves the ticket with what `input` asks for (at least one part; 400 TICKET_NOTHING_DECIDED).
 * Staff of the order only. 409 TICKET_DECIDED when it is decided already or another decision holds it.
 */
export async function resolveTicket(env: Env, auth: Auth, id: string, input: ResolveInput, seal: Seal, defer: Defer) {
  const { ticket, viewer } = await ticketFor(env, auth, id);
  staffOnly(viewer);
  if (!OPEN_TICKET_STATUSES.includes(ticket.status)) throw decided();
  if (!input.rework && !input.refund && !input.coupon && !input.penalty) throw AppError.of("TICKET_NOTHING_DECIDED");
  if (input.penalty && ticket.technicianId === null) throw invalid([{ path: "body.penalty", message: "the order has no technician" }]);
  const db = getDb(env);
  const order = (await findOrder(db, ticket.orderId))!;
  const start = input.rework ? Date.parse(input.rework.start) : NaN;
  if (input.rework && !(start > Date.now())) throw invalid([{ path: "body.rework.start", message: "must be in the future" }]);
  const refund = input.refund
    ? await planTicketRefund(env, order, {
        amount: input.refund.amount,
        reason: `ticket ${ticket.id}: ${input.reason}`,
        staffId: auth.accountId,
      })
    : null;

  const outcome = await underClaim(env, ticket, async (claimId) => {
    const rework = input.rework
      ? {
          ...(await bookRework(
            env,
            {
              ticketId: ticket.id,
              order,
              start,
              technicianId: input.rework.technicianId === undefined ? order.technicianId : input.rework.technicianId,
              reason: input.reason,
            },
            defer,
          )),
          start,
        }
      : null;
    return writeDecision(env, auth, ticket, order, claimId, { kind: "resolved", input, refund, rework }, seal);
  });
  if (refund) await sendTicketRefunds(env, order, refund.refundIds, auth.accountId, ticket.id);
  return outcome;
}

/** Rejects the ticket (not upheld) with the reason the parties see. Same claim rules as resolving. */
export async function rejectTicket(env: Env, auth: Auth, id: string, input: { reason: string }, seal: Seal) {
  const { ticket, viewer } = await ticketFor(env, auth, id);
  staffOnly(viewer);
  if (!OPEN_TICKET_STATUSES.includes(ticket.status)) throw decided();
  const order = (await findOrder(getDb(env), ticket.orderId))!;
  return underClaim(env, ticket, (claimId) =>
    writeDecision(
      env,
      auth,
      ticket,
      order,
      claimId,
      { kind: "rejected", input: { reason: input.reason }, refund: null, rework: null },
      seal,
    ),
  );
}

interface Decision {
  kind: "resolved" | "rejected";
  input: ResolveInput;
  refund: PlannedTicketRefund | null;
  rework: { orderId: string; start: number } | null;
}

/** The decision's one batch (module comment, step 4). */
async function writeDecision(env: Env, auth: Auth, ticket: TicketRow, order: OrderRow, claimId: string, d: Decision, seal: Seal) {
  const db = getDb(env);
  const cfg = config(env);
  const now = Date.now();
  const guard: Guard = ticketDecidedBy(ticket.id, claimId);
  const resolution: TicketResolution = { kind: d.kind, reason: d.input.reason };
  const statements: D1PreparedStatement[] = [];
  if (d.rework) {
    const booked = await findOrder(db, d.rework.orderId);
    resolution.rework = { orderId: d.rework.orderId, technicianId: booked?.technicianId ?? null, start: d.rework.start };
  }
  if (d.refund) {
    resolution.refund = { amount: d.refund.amount, refundIds: d.refund.refundIds };
    statements.push(...d.refund.statements(guard, now));
  }
  if (d.input.coupon) {
    const code = couponCode();
    const couponId = newId("cpn", now);
    const endsAt = now + cfg.TICKET_COUPON_DAYS * 86_400_000;
    resolution.coupon = { couponId, code, amount: d.input.coupon.amount, endsAt };
    statements.push(
      couponInsert(
        db,
        {
          id: couponId,
          code,
          name: `工单补偿 ${ticket.id}`,
          kind: "fixed",
          value: d.input.coupon.amount,
          maxDiscount: null,
          minTotal: 0,
          merchantId: null,
          serviceIds: [],
          startsAt: now,
          endsAt,
          totalLimit: 1,
          perCustomerLimit: 1,
          redeemed: 0,
          active: true,
          createdBy: auth.accountId,
          // In the customer's wallet: only they may use it (GET /v1/me/coupons lists it).
          accountId: ticket.customerId,
          source: "ticket",
          issueKey: `ticket:${ticket.id}`,
          createdAt: now,
          updatedAt: now,
        },
        guard,
      ),
    );
  }
  if (d.input.penalty && ticket.technicianId) {
    const points = -cfg.TICKET_PENALTY_POINTS;
    resolution.penalty = { amount: d.input.penalty.amount, points, technicianId: ticket.technicianId };
    statements.push(
      ...ledgerStatements(
        db,
        penaltyTx(
          {
            id: order.id,
            merchantId: order.merchantId,
            serviceId: order.serviceId,
            technicianId: ticket.technicianId,
            currency: order.currency,
          },
          { ref: ticket.id, amount: d.input.penalty.amount, memo: `ticket ${ticket.id} upheld: ${ticket.category}` },
        ),
        now,
        guard,
      ),
      // The upheld complaint moves the technician's credit (src/credit), in the decision's batch.
      ...creditFactStatementsOf(
        db,
        {
          technicianId: ticket.technicianId,
          kind: "complaint_upheld",
          sourceType: "ticket",
          sourceId: ticket.id,
          reasonCode: "COMPLAINT_UPHELD",
          actorId: auth.accountId,
          points,
        },
        guard,
        now,
      ),
    );
  }
  const after: TicketRow = {
    ...ticket,
    status: d.kind,
    decidedBy: auth.accountId,
    decidedAt: now,
    decisionId: claimId,
    claimId: null,
    claimUntil: null,
    resolution,
    reworkOrderId: d.rework?.orderId ?? ticket.reworkOrderId,
    firstRespondedAt: ticket.firstRespondedAt ?? now,
    version: ticket.version + 1,
    updatedAt: now,
  };
  const view = ticketView(after, now);
  const [written] = await runBatch(db, [
    decisionWrite(
      db,
      ticket.id,
      claimId,
      {
        status: d.kind,
        decidedBy: auth.accountId,
        decidedAt: now,
        resolution,
        reworkOrderId: after.reworkOrderId,
        firstRespondedAt: after.firstRespondedAt,
      },
      now,
    ),
    ...statements,
    entryInsert(db, entryRow(ticket.id, { type: "staff", id: auth.accountId }, "event", `${d.kind}: ${d.input.reason}`, now), guard),
    outboxRow(db, ticketMessage(ticket, d.kind, ["customer", "technician"]), now, guard),
    await seal(200, view, guard),
  ]);
  // The claim lapsed and another decision took the ticket meanwhile.
  if (written?.meta.changes !== 1) throw decided();
  await appendAudit(db, {
    actorId: auth.accountId,
    action: `ticket.${d.kind === "resolved" ? "resolve" : "reject"}`,
    targetType: "ticket",
    targetId: ticket.id,
    // The coupon's code is the customer's to redeem: the audit names the coupon only.
    data: {
      orderId: ticket.orderId,
      resolution: { ...resolution, coupon: resolution.coupon && { ...resolution.coupon, code: undefined } },
    },
  });
  return view;
}

/** The ticket as stored (after a decision), for a caller that may see it. */
export async function ticketNow(env: Env, id: string) {
  return ticketView((await findTicket(getDb(env), id))!);
}

/** The seal of a decision made without an Idempotency-Key: no answer to store. */
export function noSeal(env: Env): Seal {
  return () => Promise.resolve(nothingStored(getDb(env)));
}
