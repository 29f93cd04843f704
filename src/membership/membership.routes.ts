import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer, IdParam, jsonBody, jsonContent } from "../http/openapi";
import { Level, MembershipSettings as SettingsInput } from "../domain/membership";

const staff = requireRole("operator", "admin", "merchant_admin");
const platform = requireRole("operator", "admin");
const customer = requireRole("customer");
const signedIn = requireRole();

const Money = z.object({ amount: z.number().int(), currency: z.string() });
const Localized = z.object({ zh: z.string(), en: z.string() });
const Id = z.string().min(1).max(64);

export const PackagePlan = z
  .object({
    id: z.string(),
    merchantId: z.string().nullable(),
    serviceId: z.string(),
    kind: z.enum(["visits", "credit"]),
    units: z.number().int().openapi({ description: "Visits (`visits`) or 分 of credit (`credit`)" }),
    price: Money,
    validDays: z.number().int(),
    refundPercent: z.number().int(),
    name: Localized,
    active: z.boolean(),
    createdAt: z.string(),
  })
  .openapi("PackagePlan");

export const CustomerPackage = z
  .object({
    id: z.string(),
    planId: z.string(),
    customerId: z.string(),
    merchantId: z.string().nullable(),
    serviceId: z.string(),
    kind: z.enum(["visits", "credit"]),
    unitsTotal: z.number().int(),
    unitsLeft: z.number().int().openapi({ description: "The balance: visits, or 分 of credit" }),
    price: Money,
    deferredLeft: Money.openapi({ description: "Paid money not yet earned by visits (what a refund is reckoned on)" }),
    status: z.enum(["pending_payment", "active", "refunded"]),
    validUntil: z.string().nullable(),
    paidAt: z.string().nullable(),
    refundedAt: z.string().nullable(),
    createdAt: z.string(),
    history: z
      .array(
        z.object({
          kind: z.enum(["purchase", "draw", "refund"]),
          orderId: z.string().nullable(),
          units: z.number().int(),
          amount: Money,
          givenBack: z.boolean().openapi({ description: "A draw whose order was cancelled: its visit is back on the package" }),
          at: z.string(),
        }),
      )
      .optional(),
  })
  .openapi("CustomerPackage");

const Settings = SettingsInput.extend({
  merchantRates: z.array(z.object({ merchantId: z.string(), earnPerYuan: z.number().int() })),
}).openapi("MembershipSettings");

const Membership = z
  .object({
    level: Level,
    next: Level.nullable(),
    spend: z.number().int().openapi({ description: "分 spent on served orders over the rolling year (as last recalculated)" }),
    pointsEarnedThisYear: z.number().int(),
    recalculatedAt: z.string().nullable(),
    points: z.object({
      balance: z.number().int(),
      value: z.number().int().openapi({ description: "分 one point is worth in a quote" }),
      maxSpendPercent: z.number().int(),
      expiryDays: z.number().int(),
      history: z.array(z.object({ kind: z.string(), delta: z.number().int(), orderId: z.string().nullable(), at: z.string() })),
    }),
  })
  .openapi("Membership");

const items = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });
const PlanId = IdParam("id", "pkp_01JD3");
const PackageId = IdParam("id", "pkg_01JD3");
const ServiceQuery = z.object({ serviceId: Id.optional() });

export const offered = createRoute({
  operationId: "listOfferedPackagePlans",
  method: "get",
  path: "/v1/package-plans",
  tags: ["Packages"],
  summary: "Packages on sale (of one service, or all)",
  security: bearer,
  middleware: [signedIn] as const,
  request: { query: ServiceQuery },
  responses: { 200: jsonContent(items(PackagePlan), "Plans"), ...authErrors() },
});

export const buy = createRoute({
  operationId: "buyPackage",
  method: "post",
  path: "/v1/me/packages",
  tags: ["Packages"],
  summary: "Buy a package (it waits for payment)",
  description: "The package is active once paid (staff record a payment taken at the counter: `POST /v1/admin/packages/{id}/payment`).",
  security: bearer,
  middleware: [customer] as const,
  request: { body: jsonBody(z.object({ planId: Id }).strict()) },
  responses: { 201: jsonContent(CustomerPackage, "Bought, waiting for payment"), ...authErrors(404, 413, 415) },
});

export const mine = createRoute({
  operationId: "listMyPackages",
  method: "get",
  path: "/v1/me/packages",
  tags: ["Packages"],
  summary: "My packages with their balances",
  security: bearer,
  middleware: [customer] as const,
  responses: { 200: jsonContent(items(CustomerPackage), "Packages"), ...authErrors() },
});

export const myOne = createRoute({
  operationId: "getMyPackage",
  method: "get",
  path: "/v1/me/packages/{id}",
  tags: ["Packages"],
  summary: "One of my packages with its history",
  description:
    "Book with it: `packageId` in `POST /v1/quotes`; each booking draws a visit (or the credit it needs), a cancelled booking gives it back.",
  security: bearer,
  middleware: [customer] as const,
  request: { params: PackageId },
  responses: { 200: jsonContent(CustomerPackage, "The package"), ...authErrors(404) },
});

export const membership = createRoute({
  operationId: "getMyMembership",
  method: "get",
  path: "/v1/me/membership",
  tags: ["Membership"],
  summary: "My level, its benefits, my points and their history",
  description:
    "Spend points with `points` in `POST /v1/quotes` (at most `maxSpendPercent` of the order); level benefits apply with `memberBenefits: true`. Levels are recalculated nightly.",
  security: bearer,
  middleware: [customer] as const,
  responses: { 200: jsonContent(Membership, "Membership"), ...authErrors() },
});

export const createPlan = createRoute({
  operationId: "createPackagePlan",
  method: "post",
  path: "/v1/admin/package-plans",
  tags: ["Packages"],
  summary: "Offer a package for a service (merchant admins: their own services; audited)",
  security: bearer,
  middleware: [staff] as const,
  request: {
    body: jsonBody(
      z
        .object({
          serviceId: Id,
          kind: z.enum(["visits", "credit"]),
          units: z.number().int().min(1).max(100_000_000).openapi({ description: "Visits (1–1000) or 分 of credit" }),
          price: z.number().int().min(1).max(100_000_000),
          validDays: z.number().int().min(1).max(3650),
          refundPercent: z.number().int().min(0).max(100).optional(),
          nameZh: z.string().trim().min(1).max(60),
          nameEn: z.string().trim().min(1).max(60),
        })
        .strict()
        .refine((b) => b.kind === "credit" || b.units <= 1000, { path: ["units"], message: "at most 1000 visits" }),
    ),
  },
  responses: { 201: jsonContent(PackagePlan, "Created"), ...authErrors(404, 413, 415) },
});

export const plans = createRoute({
  operationId: "listPackagePlans",
  method: "get",
  path: "/v1/admin/package-plans",
  tags: ["Packages"],
  summary: "Package plans (merchant admins: their own)",
  security: bearer,
  middleware: [staff] as const,
  request: { query: ServiceQuery },
  responses: { 200: jsonContent(items(PackagePlan), "Plans"), ...authErrors() },
});

export const patchPlan = createRoute({
  operationId: "patchPackagePlan",
  method: "patch",
  path: "/v1/admin/package-plans/{id}",
  tags: ["Packages"],
  summary: "Rename a plan or take it off sale (bought packages keep their terms; audited)",
  security: bearer,
  middleware: [staff] as const,
  request: {
    params: PlanId,
    body: jsonBody(
      z
        .object({
          active: z.boolean().optional(),
          nameZh: z.string().trim().min(1).max(60).optional(),
          nameEn: z.string().trim().min(1).max(60).optional(),
        })
        .strict(),
    ),
  },
  responses: { 200: jsonContent(PackagePlan, "Changed"), ...authErrors(404, 413, 415) },
});

export const packages = createRoute({
  operationId: "listPackages",
  method: "get",
  path: "/v1/admin/packages",
  tags: ["Packages"],
  summary: "Customers' packages (merchant admins: of their own plans), newest first",
  security: bearer,
  middleware: [staff] as const,
  request: { query: z.object({ customerId: Id.optional() }) },
  responses: { 200: jsonContent(items(CustomerPackage), "Packages"), ...authErrors() },
});

export const packageDetail = createRoute({
  operationId: "getPackage",
  method: "get",
  path: "/v1/admin/packages/{id}",
  tags: ["Packages"],
  summary: "A customer's package with its history",
  security: bearer,
  middleware: [staff] as const,
  request: { params: PackageId },
  responses: { 200: jsonContent(CustomerPackage, "The package"), ...authErrors(404) },
});

export const recordPayment = createRoute({
  operationId: "recordPackagePayment",
  method: "post",
  path: "/v1/admin/packages/{id}/payment",
  tags: ["Packages"],
  summary: "Record a package's payment taken at the counter (audited)",
  description:
    "The package is active for its plan's days from now; its money is deferred revenue until visits draw it. 409 PACKAGE_NOT_PENDING.",
  security: bearer,
  middleware: [platform] as const,
  request: {
    params: PackageId,
    body: jsonBody(z.object({ provider: z.enum(["cash", "bank_transfer"]), reference: z.string().trim().min(1).max(80) }).strict()),
  },
  responses: { 200: jsonContent(CustomerPackage, "Active"), ...authErrors(404, 409, 413, 415) },
});

export const refund = createRoute({
  operationId: "refundPackage",
  method: "post",
  path: "/v1/admin/packages/{id}/refund",
  tags: ["Packages"],
  summary: "Refund the unused rest of a package by its plan's policy (audited)",
  description:
    "Pays back `refundPercent` of the money not yet earned by visits, the way it was paid; the rest is earned. 409 PACKAGE_NOT_ACTIVE (also when a booking drew from it meanwhile: look again).",
  security: bearer,
  middleware: [platform] as const,
  request: { params: PackageId, body: jsonBody(z.object({ reason: z.string().trim().min(1).max(200) }).strict()) },
  responses: { 200: jsonContent(CustomerPackage, "Refunded"), ...authErrors(404, 409, 413, 415) },
});

export const settings = createRoute({
  operationId: "getMembershipSettings",
  method: "get",
  path: "/v1/admin/membership/settings",
  tags: ["Membership"],
  summary: "Points, expiry and levels, and merchants' own earn rates",
  security: bearer,
  middleware: [platform] as const,
  responses: { 200: jsonContent(Settings, "Settings"), ...authErrors() },
});

export const putSettings = createRoute({
  operationId: "putMembershipSettings",
  method: "put",
  path: "/v1/admin/membership/settings",
  tags: ["Membership"],
  summary: "Change points, expiry and levels (audited; levels apply from the next nightly recalculation)",
  security: bearer,
  middleware: [platform] as const,
  request: { body: jsonBody(SettingsInput) },
  responses: { 200: jsonContent(Settings, "Saved"), ...authErrors(413, 415) },
});

export const merchantRate = createRoute({
  operationId: "putMerchantPointsRate",
  method: "put",
  path: "/v1/admin/membership/merchant-rates/{id}",
  tags: ["Membership"],
  summary: "A merchant's own points earn rate (null: the global rate; audited)",
  security: bearer,
  middleware: [platform] as const,
  request: {
    params: IdParam("id", "mch_01JD3"),
    body: jsonBody(z.object({ earnPerYuan: z.number().int().min(0).max(100).nullable() }).strict()),
  },
  responses: { 200: jsonContent(Settings, "Saved"), ...authErrors(404, 413, 415) },
});
