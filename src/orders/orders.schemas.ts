import { z } from "@hono/zod-openapi";
import { ORDER_STATUSES } from "../domain/order-state";
import { LocalizedSchema, MoneySchema } from "../http/openapi";
import { Payment, Refund } from "../money/payments.schemas";

const Iso = z.iso.datetime({ offset: true });

export const TimeWindowRequest = z
  .object({
    start: Iso.openapi({ example: "2026-11-25T09:00:00+08:00" }),
    end: Iso.openapi({ example: "2026-11-25T12:00:00+08:00" }),
  })
  .strict()
  .openapi("TimeWindowRequest", {
    description:
      "A flexible window instead of an exact start (docs/flexible-windows.md): the job starts and ends inside it, at the earliest start a technician can take. At least the job's duration, at most MAX_WINDOW_MINUTES (480).",
  });

const TimeWindow = z
  .object({ start: z.string(), end: z.string() })
  .openapi("TimeWindow", { description: "A flexible-window job's window, in the city's time zone" });

export const QuoteRequest = z
  .object({
    serviceId: z.string().min(1).max(64),
    lat: z.number().min(-90).max(90),
    lng: z.number().min(-180).max(180),
    start: Iso.optional().openapi({ example: "2026-11-25T10:00:00+08:00", description: "An exact start; or name `window` instead" }),
    window: TimeWindowRequest.optional(),
    units: z.number().int().min(1).max(100).optional(),
    extras: z.array(z.string().min(1).max(32)).max(30).optional(),
    rush: z.boolean().optional(),
    couponCode: z.string().min(1).max(40).optional(),
    bestCoupon: z.boolean().optional().openapi({
      description:
        "Without `couponCode`: apply the coupon of my wallet (GET /v1/me/coupons) or of a running promotion that takes the most off, if any applies",
    }),
    packageId: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .openapi({ description: "Pay with one of my packages: the booking draws a visit (or the credit it needs)" }),
    points: z
      .number()
      .int()
      .min(1)
      .max(10_000_000)
      .optional()
      .openapi({ description: "Points to spend (at most the per-order cap is taken)" }),
    memberBenefits: z.boolean().optional().openapi({ description: "Apply my level's benefits (discount, free rush fee)" }),
  })
  .strict()
  .openapi("QuoteRequest");

export const ReorderRequest = z
  .object({
    start: Iso.openapi({ example: "2026-11-25T10:00:00+08:00" }),
    addressId: z.string().min(1).max(64).optional().openapi({ description: "Another of my addresses (default: the order's)" }),
    paymentPlan: z.enum(["full", "deposit", "after_service"]).optional(),
    bestCoupon: z.boolean().optional().openapi({ description: "Apply the best coupon that applies (as in POST /v1/quotes)" }),
  })
  .strict()
  .openapi("ReorderRequest");

const Line = z.object({ code: z.string(), label: LocalizedSchema, amount: MoneySchema });

export const Quote = z
  .object({
    id: z.string().openapi({ description: "Signed: send it back unchanged with POST /v1/orders" }),
    serviceId: z.string(),
    expiresAt: z.string(),
    start: z.string(),
    end: z.string(),
    timeZone: z.string(),
    window: TimeWindow.nullable().openapi({ description: "A flexible-window quote: the window; `start`/`end` are its earliest interval" }),
    units: z.number().int(),
    extras: z.array(z.string()),
    lines: z.array(Line),
    total: MoneySchema,
  })
  .openapi("Quote");

export const OrderRequest = z
  .object({
    quoteId: z.string().min(10).max(4000),
    addressId: z.string().min(1).max(64),
    start: Iso,
    technicianId: z.string().min(1).max(64).optional().openapi({ description: "Book this technician (chosen dispatch)" }),
    notes: z.string().max(500).optional(),
    paymentPlan: z.enum(["full", "deposit", "after_service"]).optional(),
  })
  .strict()
  .openapi("OrderRequest");

const EXCEPTION_HELP =
  "Staff only: why it waits in the exception queue (manual_dispatch, no_candidate, max_rounds, late, after_sales, calendar_lost, unpaid: completed and still not paid PAYMENT_DUE_EXCEPTION_HOURS later)";

export const Order = z
  .object({
    id: z.string(),
    status: z.enum(ORDER_STATUSES),
    service: z.object({ id: z.string(), name: LocalizedSchema.nullable() }),
    start: z.string(),
    end: z.string(),
    timeZone: z.string(),
    window: TimeWindow.nullable().openapi({
      description: "A flexible-window order: the window the customer accepted; `start` is the start held inside it",
    }),
    addressId: z.string(),
    technician: z.object({ id: z.string(), name: z.string(), rating: z.number() }).nullable(),
    lines: z.array(z.object({ code: z.string(), label: z.string(), amount: MoneySchema })),
    total: MoneySchema,
    paymentPlan: z.string(),
    dispatchMode: z.string(),
    holdExpiresAt: z.string().nullable(),
    acceptBy: z.string().nullable(),
    startCode: z.string().optional().openapi({ description: "Customer only: the technician needs it to start" }),
    startCodeLocked: z
      .boolean()
      .optional()
      .openapi({ description: "Customer and staff: wrong codes locked the start code (POST /v1/orders/{id}/start-code issues a new one)" }),
    virtualNumber: z
      .string()
      .nullable()
      .optional()
      .openapi({
        description:
          "Customer and technician only (number privacy, NUMBER_PRIVACY): the virtual number (E.164) that connects the order's contact and its technician, " +
          "shown instead of either real number from acceptance until completion plus REVEAL_GRACE_MINUTES once the provider has bound it. " +
          "Null while none is bound (privacy off, binding still pending, or it ended): then the usual masking rules apply.",
        example: "+8617012345678",
      }),
    exception: z.string().nullable().optional().openapi({ description: EXCEPTION_HELP }),
    due: z
      .object({
        since: z.string(),
        settled: z.boolean(),
        waived: z.object({ amount: z.number().int(), reason: z.string(), at: z.string(), by: z.string() }).nullable(),
      })
      .nullable()
      .optional()
      .openapi({
        description:
          "Staff only: the served order's payment due, if it was not paid in full at completion (open while `settled` is false: the customer cannot book; POST /v1/admin/orders/{id}/due/waive waives it)",
      }),
    merchantId: z.string().nullable().optional().openapi({ description: "Staff only: the merchant whose service it is" }),
    cityId: z.string().optional().openapi({ description: "Staff only" }),
    cell: z.string().optional().openapi({ description: "Staff only: the H3 cell of the address" }),
    notes: z.string().nullable(),
    cancelReason: z.string().nullable(),
    refund: z.object({ percent: z.number(), amount: MoneySchema, visitFee: MoneySchema, reason: z.string() }).nullable(),
    payments: z.array(Payment),
    refunds: z.array(Refund),
    timeline: z.array(
      z.object({
        at: z.string(),
        actor: z.object({ type: z.string(), id: z.string().nullable().optional() }),
        from: z.string().nullable(),
        to: z.string(),
        reason: z.string(),
        note: z
          .object({ zh: z.string(), en: z.string() })
          .optional()
          .openapi({ description: "What the entry means for the customer, in zh-CN and en (e.g. a reschedule's new price)" }),
      }),
    ),
    version: z.number().int(),
    createdAt: z.string(),
  })
  .openapi("Order");

export const Task = Order.extend({
  location: z
    .object({ lat: z.number(), lng: z.number() })
    .openapi({ description: "Exact while revealed, else the order's area (rounded to 0.01°, about 1 km)" }),
  address: z.object({
    text: z.string().nullable(),
    contactName: z.string(),
    contactPhone: z.string().openapi({
      description: "While revealed: the virtual number when one is bound (see virtualNumber), else the contact's phone; otherwise masked",
    }),
  }),
  revealed: z
    .boolean()
    .openapi({ description: "Exact address and phone are shown from acceptance until completion plus REVEAL_GRACE_MINUTES" }),
}).openapi("Task");

export const OrderId = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "ord_01JD3Q8Z6X9V4M2K7T5R1N0PAB" }),
});
