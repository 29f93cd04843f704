import { createRoute, z } from "@hono/zod-openapi";
import { LEDGER_TX_KINDS } from "../domain/money";
import { isTimeZone } from "../domain/time-zone";
import { requireRole } from "../http/auth";
import { authErrors, bearer, CursorQuery, jsonBody, jsonContent, LimitQuery, MoneySchema, page } from "../http/openapi";

const staff = requireRole("operator", "admin", "merchant_admin");
const platform = requireRole("operator", "admin");
const Iso = z.iso.datetime({ offset: true });

// ——— reports and ledger ———

const Tz = z
  .string()
  .min(1)
  .max(64)
  // An unknown zone is a 400 here, not a RangeError (500) where the days are formatted.
  .refine(isTimeZone, "an IANA time zone")
  .default("Asia/Shanghai")
  .openapi({ description: "IANA time zone of the days (default Asia/Shanghai)" });

export const reconciliation = createRoute({
  operationId: "getReconciliation",
  method: "get",
  path: "/v1/admin/reports/reconciliation",
  tags: ["Money"],
  summary: "Daily reconciliation: provider totals vs ledger vs orders (operators)",
  security: bearer,
  middleware: [platform] as const,
  request: { query: z.object({ date: z.iso.date(), timeZone: Tz }) },
  responses: {
    200: jsonContent(
      z.object({
        date: z.string(),
        timeZone: z.string(),
        from: z.string(),
        to: z.string(),
        providers: z.array(
          z.object({
            provider: z.string(),
            reported: z.object({ paid: MoneySchema, refunded: MoneySchema }),
            ledger: z.object({ paid: MoneySchema, refunded: MoneySchema, payouts: MoneySchema }),
            matches: z.boolean(),
          }),
        ),
        unbalancedTransactions: z.array(z.object({ id: z.string(), kind: z.string(), ref: z.string(), sum: z.number() })),
        unsettledPayments: z.array(z.object({ paymentId: z.string(), orderId: z.string(), amount: MoneySchema })),
        balanced: z.boolean(),
      }),
      "Reconciliation",
    ),
    ...authErrors(),
  },
});

export const reconcileNow = createRoute({
  operationId: "reconcilePayments",
  method: "post",
  path: "/v1/admin/payments/reconcile",
  tags: ["Money"],
  summary: "Run the payment reconciliation job now (operators)",
  description:
    "What the every-minute cron does: query pending payments and refunds at the providers, settle paid orders, pay approved withdrawals out.",
  security: bearer,
  middleware: [platform] as const,
  responses: {
    200: jsonContent(
      z.object({
        queried: z.number().int(),
        paid: z.number().int(),
        closed: z.number().int(),
        cancelled: z.number().int(),
        settled: z.number().int(),
        refundsSent: z.number().int(),
        refundsSettled: z.number().int(),
        payouts: z.number().int(),
      }),
      "What it did",
    ),
    ...authErrors(),
  },
});

export const revenue = createRoute({
  operationId: "getRevenue",
  method: "get",
  path: "/v1/admin/reports/revenue",
  tags: ["Money"],
  summary: "Revenue by merchant, service or day: gross, commission, shares, coupons (net of refunds)",
  description: "A merchant_admin sees only its merchant's.",
  security: bearer,
  middleware: [staff] as const,
  request: { query: z.object({ from: Iso, to: Iso, groupBy: z.enum(["merchant", "service", "day"]).default("day"), timeZone: Tz }) },
  responses: {
    200: jsonContent(
      z.object({
        groupBy: z.string(),
        items: z.array(
          z.object({
            key: z.string(),
            gross: MoneySchema,
            platformRevenue: MoneySchema,
            merchantShare: MoneySchema,
            technicianShare: MoneySchema,
            couponExpense: MoneySchema,
            merchantFunded: MoneySchema.openapi({
              description:
                "Merchant-funded promotions' discounts, already taken off merchantShare (platform-funded ones are couponExpense)",
            }),
          }),
        ),
      }),
      "Revenue",
    ),
    ...authErrors(),
  },
});

const LedgerTx = z
  .object({
    id: z.string(),
    kind: z.enum(LEDGER_TX_KINDS),
    ref: z.string(),
    orderId: z.string().nullable(),
    merchantId: z.string().nullable(),
    provider: z.string().nullable(),
    memo: z.string(),
    at: z.string(),
    entries: z.array(
      z.object({
        account: z.string(),
        amount: MoneySchema.openapi({ description: "Debit positive, credit negative" }),
        availableAt: z.string(),
      }),
    ),
    balanced: z.boolean(),
  })
  .openapi("LedgerTransaction");

export const ledger = createRoute({
  operationId: "listLedgerTransactions",
  method: "get",
  path: "/v1/admin/ledger/transactions",
  tags: ["Money"],
  summary: "Ledger browser: balanced transactions with their entries, newest first",
  description: "Filter by order, account code (e.g. `technician_payable:tch_…`), kind and time. A merchant_admin sees only its merchant's.",
  security: bearer,
  middleware: [staff] as const,
  request: {
    query: z.object({
      orderId: z.string().max(64).optional(),
      account: z.string().max(100).optional(),
      kind: z.enum(LEDGER_TX_KINDS).optional(),
      from: Iso.optional(),
      to: Iso.optional(),
      limit: LimitQuery,
      cursor: CursorQuery,
    }),
  },
  responses: { 200: jsonContent(page(LedgerTx), "Transactions"), ...authErrors() },
});

export const ledgerAccounts = createRoute({
  operationId: "listLedgerAccounts",
  method: "get",
  path: "/v1/admin/ledger/accounts",
  tags: ["Money"],
  summary: "Ledger accounts with their balances",
  description: "A merchant_admin sees only its merchant's accounts.",
  security: bearer,
  middleware: [staff] as const,
  responses: {
    200: jsonContent(
      z.object({
        items: z.array(
          z.object({ code: z.string(), kind: z.string(), type: z.string(), ownerId: z.string().nullable(), balance: MoneySchema }),
        ),
      }),
      "Accounts",
    ),
    ...authErrors(),
  },
});

export const ledgerCsv = createRoute({
  operationId: "exportLedgerCsv",
  method: "get",
  path: "/v1/admin/ledger/export.csv",
  tags: ["Money"],
  summary: "CSV export of the ledger entries of a time window",
  description: "One row per entry (debit or credit in 分), oldest first, at most 50 000 rows. A merchant_admin gets only its merchant's.",
  security: bearer,
  middleware: [staff] as const,
  request: { query: z.object({ from: Iso, to: Iso }) },
  responses: { 200: { description: "CSV", content: { "text/csv": { schema: z.string() } } }, ...authErrors() },
});

// ——— commission ———

const CommissionRule = z
  .object({
    scope: z.string().openapi({ example: "merchant:mer_01JD3Q8Z6X9V4M2K7T5R1N0PAB" }),
    takeRateBps: z.number().int().nullable(),
    technicianShareBps: z.number().int().nullable(),
    updatedAt: z.string(),
  })
  .openapi("CommissionRule");

export const listCommission = createRoute({
  operationId: "listCommissionRules",
  method: "get",
  path: "/v1/admin/commission-rules",
  tags: ["Money"],
  summary: "Commission rules and the defaults they fall back to",
  security: bearer,
  middleware: [platform] as const,
  responses: {
    200: jsonContent(
      z.object({
        defaults: z.object({ takeRateBps: z.number().int(), technicianShareBps: z.number().int() }),
        items: z.array(CommissionRule),
      }),
      "Rules",
    ),
    ...authErrors(),
  },
});

export const putCommission = createRoute({
  operationId: "putCommissionRule",
  method: "put",
  path: "/v1/admin/commission-rules",
  tags: ["Money"],
  summary: "Set the platform take rate and technician share for the platform, a merchant or a service (audited)",
  description:
    "Basis points (2000 = 20 %); null falls back to the wider scope (service → merchant → default → COMMISSION_* variables). Applies to splits made from now on.",
  security: bearer,
  middleware: [platform] as const,
  request: {
    body: jsonBody(
      z
        .object({
          scope: z.string().regex(/^(default|merchant:[A-Za-z0-9_]{1,64}|service:[A-Za-z0-9_]{1,64})$/),
          takeRateBps: z.number().int().min(0).max(10_000).nullable(),
          technicianShareBps: z.number().int().min(0).max(10_000).nullable(),
        })
        .strict(),
    ),
  },
  responses: { 200: jsonContent(CommissionRule, "Saved"), ...authErrors(404, 413, 415) },
});
