import { createRoute, z } from "@hono/zod-openapi";
import { PAYMENT_PROVIDERS } from "../domain/money";
import { MISMATCH_KINDS } from "../domain/statements";
import { requireRole } from "../http/auth";
import { authErrors, bearer, jsonBody, jsonContent, MoneySchema } from "../http/openapi";

const platform = requireRole("operator", "admin");
const Day = z.iso.date().openapi({ description: "The statement's day (YYYY-MM-DD, Asia/Shanghai)", example: "2026-12-02" });
const SOURCES = ["wechatpay_bill", "alipay_bill", "local"] as const;

const Outcome = z.object({
  provider: z.enum(PAYMENT_PROVIDERS),
  status: z.enum(["succeeded", "failed"]),
  lines: z.number().int(),
  mismatches: z.number().int(),
  error: z.string().nullable().openapi({ description: "Why the run failed (provider unreachable, file refused); null when it ran" }),
});

export const statements = createRoute({
  operationId: "listStatements",
  method: "get",
  path: "/v1/admin/statements",
  tags: ["Money"],
  summary: "Daily provider statements of a day and the mismatches they showed (operators)",
  description:
    "Per provider with a statement: its last run (status, lines, totals, the error of a failed attempt) and the mismatches against our payments and refunds: " +
    "`missing_here` (the provider has it, we do not), `missing_at_provider`, `amount_mismatch`, `status_mismatch`. With `PAYMENT_PROVIDER_CLIENT=live` WeChat Pay's and " +
    "Alipay's trade bills (Stripe has none); providers served by the local client are reconciled against its own records (`source: local`).",
  security: bearer,
  middleware: [platform] as const,
  request: { query: z.object({ date: Day }) },
  responses: {
    200: jsonContent(
      z.object({
        date: z.string(),
        timeZone: z.string(),
        providers: z.array(
          z.object({
            provider: z.enum(PAYMENT_PROVIDERS),
            source: z.enum(SOURCES),
            run: z
              .object({
                status: z.enum(["succeeded", "failed"]),
                source: z.enum(SOURCES),
                payments: z.number().int(),
                refunds: z.number().int(),
                paid: MoneySchema,
                refunded: MoneySchema,
                empty: z
                  .boolean()
                  .openapi({ description: "The provider had no statement for the day (no trades): compared as an empty one" }),
                error: z.string().nullable(),
                attempts: z.number().int(),
                attemptedAt: z.string(),
                completedAt: z.string().nullable(),
                mismatches: z.number().int(),
              })
              .nullable(),
          }),
        ),
        mismatches: z.array(
          z.object({
            provider: z.enum(PAYMENT_PROVIDERS),
            kind: z.enum(MISMATCH_KINDS),
            subject: z.enum(["payment", "refund"]),
            ref: z
              .string()
              .openapi({ description: "Our payment or refund id (the provider's out_trade_no / out_refund_no / out_request_no)" }),
            orderId: z.string().nullable(),
            ours: z.object({ amount: MoneySchema, status: z.string() }).nullable(),
            theirs: z.object({ amount: MoneySchema, status: z.string() }).nullable(),
          }),
        ),
      }),
      "Statements",
    ),
    ...authErrors(),
  },
});

export const runStatements = createRoute({
  operationId: "runStatements",
  method: "post",
  path: "/v1/admin/statements/run",
  tags: ["Money"],
  summary: "Fetch and reconcile the daily statements of a day now (operators, audited)",
  description:
    "What the cron does once a day for yesterday: download each provider's statement of `date` (or only `provider`'s) and compare it with our payments and refunds. " +
    "A day must be over in Asia/Shanghai (today is allowed when only the local client's records are read). Running a day again replaces its result. A provider that cannot be reached, or a file that fails its hash or format checks, is a failed run (`status: failed`), " +
    "tried again by the cron; the answer is still 200.",
  security: bearer,
  middleware: [platform] as const,
  request: { body: jsonBody(z.object({ date: Day, provider: z.enum(PAYMENT_PROVIDERS).optional() }).strict()) },
  responses: {
    200: jsonContent(z.object({ date: z.string(), timeZone: z.string(), items: z.array(Outcome) }), "What each run did"),
    ...authErrors(400, 409, 413, 415),
  },
});
