import { createRoute, z } from "@hono/zod-openapi";
import { REFUND_STATUSES, WITHDRAWAL_STATUSES } from "../domain/money";
import { requireRole } from "../http/auth";
import { authErrors, bearer, CursorQuery, IdParam, jsonBody, jsonContent, LimitQuery, MoneySchema, page } from "../http/openapi";
import { OrderId } from "../orders/orders.schemas";
import { IdempotencyHeader, OwnWithdrawal, Refund, Withdrawal } from "./payments.schemas";

const technician = requireRole("technician");
const staff = requireRole("operator", "admin", "merchant_admin");
/** Separation of duties: money leaves the platform only on a platform operator's decision. */
const platformStaff = requireRole("operator", "admin");
const Reason = z.object({ reason: z.string().trim().min(1).max(500) }).strict();

// ——— technicians ———

export const earnings = createRoute({
  operationId: "getOwnEarnings",
  method: "get",
  path: "/v1/technician/earnings",
  tags: ["Technicians"],
  summary: "My earnings: totals (pending, available, withdrawing, withdrawn) and per order",
  description:
    "An order's share is pending for SETTLEMENT_DELAY_HOURS after its split (at completion, or at a cancellation that keeps money), then available to withdraw.",
  security: bearer,
  middleware: [technician] as const,
  request: { query: z.object({ limit: LimitQuery, cursor: CursorQuery }) },
  responses: {
    200: jsonContent(
      z.object({
        totals: z.object({
          earned: MoneySchema,
          pending: MoneySchema,
          available: MoneySchema,
          withdrawing: MoneySchema,
          withdrawn: MoneySchema,
        }),
        items: z.array(
          z.object({
            orderId: z.string(),
            amount: MoneySchema,
            status: z.enum(["pending", "available"]),
            availableAt: z.string(),
            at: z.string(),
          }),
        ),
        nextCursor: z.string().nullable(),
      }),
      "Earnings",
    ),
    ...authErrors(404),
  },
});

export const requestWithdrawal = createRoute({
  operationId: "requestWithdrawal",
  method: "post",
  path: "/v1/technician/withdrawals",
  tags: ["Technicians"],
  summary: "Withdraw from my available balance (Idempotency-Key required)",
  description:
    "Between WITHDRAWAL_MIN_AMOUNT and WITHDRAWAL_MAX_AMOUNT (400 WITHDRAWAL_AMOUNT_OUT_OF_RANGE), at most WITHDRAWALS_PER_DAY a day (409 WITHDRAWAL_LIMIT), never more than is available (409 INSUFFICIENT_BALANCE). With live providers, a payout account must be on file (409 PAYEE_ACCOUNT_MISSING), and WeChat Pay transfers of ¥2,000 (200000 分) or more need the payee's real name on it (409 PAYEE_NAME_REQUIRED). Waits for an operator's approval, then is paid out.",
  security: bearer,
  middleware: [technician] as const,
  request: {
    headers: IdempotencyHeader,
    body: jsonBody(z.object({ amount: z.number().int().min(1).openapi({ description: "分" }) }).strict()),
  },
  responses: { 201: jsonContent(Withdrawal, "Requested"), ...authErrors(404, 409, 413, 415, 422) },
});

const CashCollection = z
  .object({ id: z.string(), orderId: z.string(), technicianId: z.string(), amount: MoneySchema, at: z.string() })
  .openapi("CashCollection");

export const recordCash = createRoute({
  operationId: "recordCashPayment",
  method: "post",
  path: "/v1/technician/orders/{id}/cash",
  tags: ["Technicians"],
  summary: "Record cash I collected for my order (Idempotency-Key required; audited)",
  description:
    "Only where the service allows cash (`paymentOptions.cash`, default off: 409 CASH_NOT_ACCEPTED), by the order's technician, during the visit or after it is completed, at most what is still due (400 VALIDATION_FAILED; 409 NOTHING_TO_PAY when nothing is). The cash counts as collected: it settles the customer's balance (their bookings are no longer blocked once the total is in) and is split like a payment; it comes off the technician's balance at once (ledger `cash_collection`: they hold the money). Cash is not refunded through a provider.",
  security: bearer,
  middleware: [technician] as const,
  request: {
    params: OrderId,
    headers: IdempotencyHeader,
    body: jsonBody(z.object({ amount: z.number().int().min(1).max(100_000_000).openapi({ description: "分" }) }).strict()),
  },
  responses: { 201: jsonContent(CashCollection, "Recorded"), ...authErrors(404, 409, 413, 415, 422) },
});

export const listOwnWithdrawals = createRoute({
  operationId: "listOwnWithdrawals",
  method: "get",
  path: "/v1/technician/withdrawals",
  tags: ["Technicians"],
  summary: "My withdrawals, newest first",
  description:
    "A WeChat Pay transfer that waits for the technician to confirm it (WAIT_USER_CONFIRM) is `processing` with `confirmation: { mchId, appId, package }`: the mini program hands it to `wx.requestMerchantTransfer`; the money arrives once they confirm (reconciliation or the transfer notification marks it paid). A withdrawal the payout provider refused (a business error such as NOT_ENOUGH or PAYEE_NOT_EXIST) is `failed` with the provider's `reason`, its money back in the available balance.",
  security: bearer,
  middleware: [technician] as const,
  request: { query: z.object({ limit: LimitQuery, cursor: CursorQuery }) },
  responses: { 200: jsonContent(page(OwnWithdrawal), "Withdrawals"), ...authErrors(404) },
});

// ——— refunds ———

const RefundId = IdParam("id", "rfd_01JD3Q8Z6X9V4M2K7T5R1N0PAB");
const WithdrawalId = IdParam("id", "wdr_01JD3Q8Z6X9V4M2K7T5R1N0PAB");

export const listRefunds = createRoute({
  operationId: "listRefunds",
  method: "get",
  path: "/v1/admin/refunds",
  tags: ["Money"],
  summary: "Refunds, newest first; `status=pending_approval` is the approval queue",
  description: "A merchant_admin sees only its merchant's.",
  security: bearer,
  middleware: [staff] as const,
  request: {
    query: z.object({
      status: z.enum(REFUND_STATUSES).optional(),
      orderId: z.string().max(64).optional(),
      limit: LimitQuery,
      cursor: CursorQuery,
    }),
  },
  responses: { 200: jsonContent(page(Refund), "Refunds"), ...authErrors() },
});

export const approveRefund = createRoute({
  operationId: "approveRefund",
  method: "post",
  path: "/v1/admin/refunds/{id}/approve",
  tags: ["Money"],
  summary: "Approve a requested refund, in full or for less (audited)",
  description:
    "Sets the money aside (taken back from the split's shares when the order was completed) and sends it through the provider. 409 REFUND_DECIDED when it is not waiting for approval. 503 REFUND_DELAYED when the provider does not answer: the approval stands, the refund stays processing and reconciliation sends it; the problem carries the `refunds`.",
  security: bearer,
  middleware: [staff] as const,
  request: {
    params: RefundId,
    body: jsonBody(z.object({ amount: z.number().int().min(1).optional(), note: z.string().max(500).optional() }).strict()),
  },
  responses: { 200: jsonContent(Refund, "Approved"), ...authErrors(404, 409, 413, 415, 503) },
});

export const rejectRefund = createRoute({
  operationId: "rejectRefund",
  method: "post",
  path: "/v1/admin/refunds/{id}/reject",
  tags: ["Money"],
  summary: "Reject a requested refund (audited); the order's after-sales closes",
  security: bearer,
  middleware: [staff] as const,
  request: { params: RefundId, body: jsonBody(Reason) },
  responses: { 200: jsonContent(Refund, "Rejected"), ...authErrors(404, 409, 413, 415) },
});

export const refundOrder = createRoute({
  operationId: "refundOrder",
  method: "post",
  path: "/v1/admin/orders/{id}/refunds",
  tags: ["Money"],
  summary: "Refund an order on staff's decision, full or partial (Idempotency-Key required, audited)",
  description:
    "For a completed (it passes through after_sales) or cancelled order. 409 NOTHING_TO_REFUND, 409 REFUND_IN_PROGRESS, 409 INVALID_TRANSITION for a live order (cancel it instead). 503 REFUND_DELAYED when the provider does not answer: the refunds are recorded (processing) and reconciliation sends them; the problem carries the `refunds`.",
  security: bearer,
  middleware: [staff] as const,
  request: {
    params: OrderId,
    headers: IdempotencyHeader,
    body: jsonBody(
      z
        .object({
          amount: z.number().int().min(1).optional().openapi({ description: "分; default all that is left" }),
          reason: z.string().trim().min(1).max(500),
        })
        .strict(),
    ),
  },
  responses: { 201: jsonContent(z.object({ items: z.array(Refund) }), "Refunds made"), ...authErrors(404, 409, 413, 415, 422, 503) },
});

export const waiveDue = createRoute({
  operationId: "waivePaymentDue",
  method: "post",
  path: "/v1/admin/orders/{id}/due/waive",
  tags: ["Money"],
  summary: "Waive what a served order still owes (operators and admins; reason required; audited)",
  description:
    "For a completed order not paid in full (its payment due, which blocks the customer's new bookings with 409 UNPAID_BALANCE and puts the order in the exception queue as `unpaid`). The rest is written off as the platform's expense (a `waiver` ledger transaction: Dr waiver_expense, Cr the platform's, merchant's and technician's shares), the customer may book again and is told (payment.waived, zh-CN and en), the order's timeline shows `balance waived`, and the waiver is audited as `due.waive`. Platform operators and admins only: a merchant_admin gets 403 FORBIDDEN. Exactly one of a waiver and a payment racing it settles the due: money arriving after the waiver is refunded. 404 for an unknown order or one with no due; 409 NOTHING_TO_PAY once it is settled (paid or waived).",
  security: bearer,
  middleware: [platformStaff] as const,
  request: { params: OrderId, body: jsonBody(Reason) },
  responses: {
    200: jsonContent(
      z
        .object({
          orderId: z.string(),
          waived: MoneySchema,
          reason: z.string(),
          waivedAt: z.string().openapi({ format: "date-time" }),
          waivedBy: z.string().openapi({ description: "The staff account that waived it" }),
        })
        .openapi("DueWaiver"),
      "Waived",
    ),
    ...authErrors(404, 409, 413, 415),
  },
});

// ——— withdrawals ———

export const listWithdrawals = createRoute({
  operationId: "listWithdrawals",
  method: "get",
  path: "/v1/admin/withdrawals",
  tags: ["Money"],
  summary: "Technicians' withdrawals; `status=requested` is the approval queue",
  description:
    "Operators and admins see every withdrawal and decide them. A merchant_admin sees only its own technicians' withdrawals, read-only: approving or rejecting is for platform operators (separation of duties).",
  security: bearer,
  middleware: [staff] as const,
  request: {
    query: z.object({
      status: z.enum(WITHDRAWAL_STATUSES).optional(),
      technicianId: z.string().max(64).optional(),
      limit: LimitQuery,
      cursor: CursorQuery,
    }),
  },
  responses: { 200: jsonContent(page(Withdrawal), "Withdrawals"), ...authErrors() },
});

export const approveWithdrawal = createRoute({
  operationId: "approveWithdrawal",
  method: "post",
  path: "/v1/admin/withdrawals/{id}/approve",
  tags: ["Money"],
  summary: "Approve a withdrawal and pay it out (operators and admins; audited)",
  description:
    "Platform operators and admins only: a merchant_admin gets 403 FORBIDDEN (it sees its technicians' withdrawals but does not approve them). Sends the payout to WITHDRAWAL_PAYOUT_PROVIDER (idempotent per withdrawal: WeChat Pay out_bill_no, Alipay out_biz_no). The answer's status: `paid` (done at once), `processing` (accepted, not finished: the money is set aside and reconciliation asks the provider until it is final; a WeChat Pay transfer notification may finish it first), or `failed` with the provider's `reason`: a FAIL answer, or the provider refusing the transfer itself (a 4xx business error such as WeChat Pay NOT_ENOUGH / INVALID_REQUEST or Alipay PAYEE_NOT_EXIST; listed at `status=failed`); money set aside goes back to the technician's balance through a payout_reversal. 409 WITHDRAWAL_DECIDED when it is not waiting for approval. 503 PAYOUT_DELAYED when the provider does not answer: the approval stands and reconciliation pays it out; the problem carries the `withdrawal`.",
  security: bearer,
  middleware: [platformStaff] as const,
  request: { params: WithdrawalId },
  responses: { 200: jsonContent(Withdrawal, "Approved: paid, processing, or failed at the payout provider"), ...authErrors(404, 409, 503) },
});

export const rejectWithdrawal = createRoute({
  operationId: "rejectWithdrawal",
  method: "post",
  path: "/v1/admin/withdrawals/{id}/reject",
  tags: ["Money"],
  summary: "Reject a withdrawal (operators and admins; audited)",
  description:
    "Platform operators and admins only: a merchant_admin gets 403 FORBIDDEN. 409 WITHDRAWAL_DECIDED when it is not waiting for a decision.",
  security: bearer,
  middleware: [platformStaff] as const,
  request: { params: WithdrawalId, body: jsonBody(Reason) },
  responses: { 200: jsonContent(Withdrawal, "Rejected"), ...authErrors(404, 409, 413, 415) },
});
