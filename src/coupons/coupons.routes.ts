import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer, CursorQuery, IdParam, jsonBody, jsonContent, LimitQuery, page } from "../http/openapi";

const platform = requireRole("operator", "admin");
const Iso = z.iso.datetime({ offset: true });
const Fen = z.number().int().min(1).max(100_000_000);

export const Coupon = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    kind: z.enum(["fixed", "percent"]),
    value: z.number().int().openapi({ description: "分 off (fixed) or percent off (percent)" }),
    maxDiscount: z.number().int().nullable(),
    minTotal: z.number().int(),
    merchantId: z.string().nullable(),
    serviceIds: z.array(z.string()),
    startsAt: z.string(),
    endsAt: z.string(),
    totalLimit: z.number().int().nullable(),
    perCustomerLimit: z.number().int(),
    redeemed: z.number().int().openapi({ description: "Orders it discounts now (cancelled orders give theirs back)" }),
    active: z.boolean(),
    createdAt: z.string(),
  })
  .openapi("Coupon");

const CouponId = IdParam("id", "cpn_01JD3");

export const create = createRoute({
  operationId: "createCoupon",
  method: "post",
  path: "/v1/admin/coupons",
  tags: ["Coupons"],
  summary: "Create a coupon (the platform pays its discounts; audited)",
  description:
    "Customers enter `code` (case-insensitive) in `POST /v1/quotes`. `fixed`: `value` 分 off; `percent`: `value` % off, rounded down, at most `maxDiscount`. Optional scope: one merchant's services, or some services. 409 COUPON_CODE_TAKEN.",
  security: bearer,
  middleware: [platform] as const,
  request: {
    body: jsonBody(
      z
        .object({
          code: z
            .string()
            .trim()
            .regex(/^[A-Za-z0-9_-]{3,32}$/, "3–32 letters, digits, - or _"),
          name: z.string().trim().min(1).max(80),
          kind: z.enum(["fixed", "percent"]),
          value: Fen,
          maxDiscount: Fen.optional(),
          minTotal: z.number().int().min(0).max(100_000_000).optional(),
          merchantId: z.string().min(1).max(64).optional(),
          serviceIds: z.array(z.string().min(1).max(64)).max(50).optional(),
          startsAt: Iso,
          endsAt: Iso,
          totalLimit: z.number().int().min(1).max(10_000_000).optional(),
          perCustomerLimit: z.number().int().min(1).max(1000).optional(),
        })
        .strict(),
    ),
  },
  responses: { 201: jsonContent(Coupon, "Created"), ...authErrors(409, 413, 415) },
});

export const list = createRoute({
  operationId: "listCoupons",
  method: "get",
  path: "/v1/admin/coupons",
  tags: ["Coupons"],
  summary: "Coupons, newest first",
  security: bearer,
  middleware: [platform] as const,
  request: {
    query: z.object({
      active: z
        .enum(["true", "false"])
        .transform((v) => v === "true")
        .optional(),
      limit: LimitQuery,
      cursor: CursorQuery,
    }),
  },
  responses: { 200: jsonContent(page(Coupon), "Coupons"), ...authErrors() },
});

export const get = createRoute({
  operationId: "getCoupon",
  method: "get",
  path: "/v1/admin/coupons/{id}",
  tags: ["Coupons"],
  summary: "One coupon with how often it is redeemed",
  security: bearer,
  middleware: [platform] as const,
  request: { params: CouponId },
  responses: { 200: jsonContent(Coupon, "The coupon"), ...authErrors(404) },
});

export const patch = createRoute({
  operationId: "patchCoupon",
  method: "patch",
  path: "/v1/admin/coupons/{id}",
  tags: ["Coupons"],
  summary: "Change a coupon's name, end, limits, or switch it off (audited)",
  description: "Orders already discounted keep their discount.",
  security: bearer,
  middleware: [platform] as const,
  request: {
    params: CouponId,
    body: jsonBody(
      z
        .object({
          name: z.string().trim().min(1).max(80).optional(),
          active: z.boolean().optional(),
          endsAt: Iso.optional(),
          totalLimit: z.number().int().min(1).max(10_000_000).nullable().optional(),
          perCustomerLimit: z.number().int().min(1).max(1000).optional(),
        })
        .strict(),
    ),
  },
  responses: { 200: jsonContent(Coupon, "Changed"), ...authErrors(404, 413, 415) },
});
