import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth, requireRole } from "../http/auth";
import {
  authErrors,
  bearer,
  CursorQuery,
  errorResponses,
  IdParam,
  jsonBody,
  jsonContent,
  LimitQuery,
  LocalizedSchema,
  page,
} from "../http/openapi";
import { CAMPAIGN_KINDS } from "../domain/coupons";

const platform = requireRole("operator", "admin");
const campaigners = requireRole("operator", "admin", "merchant_admin");
const Iso = z.iso.datetime({ offset: true });
const Fen = z.number().int().min(1).max(100_000_000);
const DeviceHeader = z.object({
  "x-device-id": z
    .string()
    .max(128)
    .optional()
    .openapi({ description: "The app's installation id (random, made once per install): the referral fraud guard compares it, hashed" }),
});

export const WalletCoupon = z
  .object({
    id: z.string(),
    code: z.string().openapi({ description: "What a quote takes as `couponCode` (only this account may use it)" }),
    name: z.string(),
    kind: z.enum(["fixed", "percent"]),
    value: z.number().int(),
    maxDiscount: z.number().int().nullable(),
    minTotal: z.number().int(),
    merchantId: z.string().nullable(),
    serviceIds: z.array(z.string()),
    source: z.enum(["code", "campaign", "staff", "ticket", "referral"]),
    campaignId: z.string().nullable(),
    status: z.enum(["available", "used", "expired"]),
    startsAt: z.string(),
    endsAt: z.string(),
    createdAt: z.string(),
  })
  .openapi("WalletCoupon");

const WalletQuery = z.object({
  status: z.enum(["available", "used", "expired"]).optional(),
  limit: LimitQuery,
  cursor: CursorQuery,
});

export const myCoupons = createRoute({
  operationId: "listMyCoupons",
  method: "get",
  path: "/v1/me/coupons",
  tags: ["Coupons"],
  summary: "My coupon wallet, newest first, each with its status",
  description:
    "Coupons issued to me: by a campaign (new customer, win-back, birthday, or staff), by staff, by an after-sales ticket's compensation, by a referral. `available` until used or past `endsAt`. `POST /v1/quotes` with `bestCoupon: true` applies the one that takes the most off; or send its `code` as `couponCode`.",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { query: WalletQuery },
  responses: { 200: jsonContent(page(WalletCoupon), "My coupons"), ...authErrors() },
});

const AccountId = IdParam("id", "acc_01JD3");
const Terms = {
  name: z.string().trim().min(1).max(80),
  kind: z.enum(["fixed", "percent"]),
  value: Fen,
  maxDiscount: Fen.optional(),
  minTotal: z.number().int().min(0).max(100_000_000).optional(),
  serviceIds: z.array(z.string().min(1).max(64)).max(50).optional(),
};

export const issueToAccount = createRoute({
  operationId: "issueAccountCoupon",
  method: "post",
  path: "/v1/admin/accounts/{id}/coupons",
  tags: ["Coupons"],
  summary: "Issue a one-use coupon into an account's wallet (staff; audited)",
  description: "Valid `validDays` from now; only that account may use it. A percentage is at most 100.",
  security: bearer,
  middleware: [platform] as const,
  request: {
    params: AccountId,
    body: jsonBody(
      z
        .object({ ...Terms, validDays: z.number().int().min(1).max(366) })
        .strict()
        .refine((b) => b.kind === "fixed" || b.value <= 100, { path: ["value"], message: "a percentage is at most 100" })
        .refine((b) => b.kind === "percent" || b.maxDiscount === undefined, { path: ["maxDiscount"], message: "only for percent coupons" }),
    ),
  },
  responses: { 201: jsonContent(WalletCoupon, "Issued"), ...authErrors(404, 413, 415) },
});

export const accountCoupons = createRoute({
  operationId: "listAccountCoupons",
  method: "get",
  path: "/v1/admin/accounts/{id}/coupons",
  tags: ["Coupons"],
  summary: "An account's coupon wallet (staff)",
  security: bearer,
  middleware: [platform] as const,
  request: { params: AccountId, query: WalletQuery },
  responses: { 200: jsonContent(page(WalletCoupon), "The account's coupons"), ...authErrors() },
});

const Limits = z
  .object({
    merchantId: z.string(),
    maxBudget: z.number().int(),
    maxValue: z.number().int(),
    maxPercent: z.number().int(),
    updatedAt: z.string(),
  })
  .openapi("CampaignLimits");

export const putLimits = createRoute({
  operationId: "putCampaignLimits",
  method: "put",
  path: "/v1/admin/merchants/{id}/campaign-limits",
  tags: ["Campaigns"],
  summary: "Set what a merchant's campaigns may do (operators; audited)",
  description:
    "`maxBudget`: the largest budget of one campaign (分); `maxValue`: the largest fixed discount (分); `maxPercent`: the largest percentage. A merchant without limits runs no campaign.",
  security: bearer,
  middleware: [platform] as const,
  request: {
    params: IdParam("id", "mch_01JD3"),
    body: jsonBody(z.object({ maxBudget: Fen, maxValue: Fen, maxPercent: z.number().int().min(1).max(100) }).strict()),
  },
  responses: { 200: jsonContent(Limits, "The limits"), ...authErrors(404, 413, 415) },
});

export const Campaign = z
  .object({
    id: z.string(),
    merchantId: z.string().nullable(),
    kind: z.enum(CAMPAIGN_KINDS),
    name: LocalizedSchema,
    couponKind: z.enum(["fixed", "percent"]),
    value: z.number().int(),
    maxDiscount: z.number().int().nullable(),
    minTotal: z.number().int().openapi({ description: "满减: the subtotal (分) a coupon needs" }),
    serviceIds: z.array(z.string()),
    validDays: z.number().int(),
    winBackDays: z.number().int().nullable(),
    budget: z.number().int().openapi({ description: "The most its coupons take off in all, 分" }),
    spent: z.number().int().openapi({ description: "What its coupons take off now (cancelled orders give theirs back)" }),
    fundedBy: z.enum(["platform", "merchant"]).openapi({
      description: "Who pays the discounts: the platform (coupon expense) or the merchant (taken off its share of each order)",
    }),
    couponId: z.string().nullable(),
    code: z.string().nullable().openapi({ description: "A promotion's public code" }),
    startsAt: z.string(),
    endsAt: z.string(),
    active: z.boolean(),
    createdAt: z.string(),
  })
  .openapi("Campaign");

export const createCampaign = createRoute({
  operationId: "createCampaign",
  method: "post",
  path: "/v1/campaigns",
  tags: ["Campaigns"],
  summary: "Create a campaign (operators; merchant admins for their shop within its limits; audited)",
  description:
    "`new_customer`, `win_back` (no order in `winBackDays`), `birthday`: the daily run issues the coupon into each eligible customer's wallet once (a birthday once a year); staff may also issue it (`POST /v1/campaigns/{id}/issue`). `promotion`: one public `code` any customer may enter (or `bestCoupon` picks), e.g. 满减 (`minTotal` with a fixed `value`) or a discount on `serviceIds`. A merchant admin's campaign is for their merchant's services and within the limits operators set (409 CAMPAIGN_OVER_LIMIT with `limit`: none, budget, value, percent). Every redemption counts against `budget` atomically with its order.",
  security: bearer,
  middleware: [campaigners] as const,
  request: {
    body: jsonBody(
      z
        .object({
          kind: z.enum(CAMPAIGN_KINDS),
          merchantId: z
            .string()
            .min(1)
            .max(64)
            .optional()
            .openapi({ description: "Operators: a merchant's campaign (merchant admins: always their own)" }),
          name: LocalizedSchema,
          couponKind: z.enum(["fixed", "percent"]),
          value: Fen,
          maxDiscount: Fen.optional(),
          minTotal: z.number().int().min(0).max(100_000_000).optional(),
          serviceIds: z.array(z.string().min(1).max(64)).max(50).optional(),
          validDays: z
            .number()
            .int()
            .min(1)
            .max(366)
            .optional()
            .openapi({ description: "How long an issued coupon is valid (default 30)" }),
          winBackDays: z.number().int().min(7).max(3650).optional(),
          budget: Fen,
          fundedBy: z.enum(["platform", "merchant"]).optional().openapi({
            description:
              "Who pays the discounts. Default: the merchant for a merchant's campaign, the platform for the platform's. Only operators may choose `platform` for a merchant's campaign; a platform campaign cannot be merchant-funded.",
          }),
          code: z
            .string()
            .trim()
            .regex(/^[A-Za-z0-9_-]{3,32}$/, "3–32 letters, digits, - or _")
            .optional(),
          startsAt: Iso,
          endsAt: Iso,
        })
        .strict(),
    ),
  },
  responses: { 201: jsonContent(Campaign, "Created"), ...authErrors(409, 413, 415) },
});

export const listCampaigns = createRoute({
  operationId: "listCampaigns",
  method: "get",
  path: "/v1/campaigns",
  tags: ["Campaigns"],
  summary: "Campaigns, newest first (a merchant admin sees their merchant's)",
  security: bearer,
  middleware: [campaigners] as const,
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
  responses: { 200: jsonContent(page(Campaign), "Campaigns"), ...authErrors() },
});

const CampaignId = IdParam("id", "cmp_01JD3");

export const patchCampaign = createRoute({
  operationId: "patchCampaign",
  method: "patch",
  path: "/v1/campaigns/{id}",
  tags: ["Campaigns"],
  summary: "Rename, switch off or on, end, or change the budget of a campaign (audited)",
  description:
    "A merchant admin's budget stays within their limits. A lower budget than `spent` stops further redemptions; none is taken back.",
  security: bearer,
  middleware: [campaigners] as const,
  request: {
    params: CampaignId,
    body: jsonBody(
      z
        .object({ name: LocalizedSchema.optional(), active: z.boolean().optional(), budget: Fen.optional(), endsAt: Iso.optional() })
        .strict(),
    ),
  },
  responses: { 200: jsonContent(Campaign, "Changed"), ...authErrors(404, 409, 413, 415) },
});

export const issueCampaign = createRoute({
  operationId: "issueCampaignCoupons",
  method: "post",
  path: "/v1/campaigns/{id}/issue",
  tags: ["Campaigns"],
  summary: "Issue a campaign's coupon to accounts (staff; once per account; audited)",
  description: "Not for a promotion (its code is public) or a campaign that is not running (400). Unknown accounts are listed, not issued.",
  security: bearer,
  middleware: [platform] as const,
  request: { params: CampaignId, body: jsonBody(z.object({ accountIds: z.array(z.string().min(1).max(64)).min(1).max(200) }).strict()) },
  responses: {
    200: jsonContent(
      z.object({ issued: z.number().int(), alreadyHeld: z.number().int(), unknown: z.array(z.string()) }).openapi("CampaignIssue"),
      "Issued",
    ),
    ...authErrors(404, 413, 415),
  },
});

export const putBirthday = createRoute({
  operationId: "putMyBirthday",
  method: "put",
  path: "/v1/me/birthday",
  tags: ["Campaigns"],
  summary: "Set my birthday (month and day) for birthday coupons",
  security: bearer,
  middleware: [requireAuth] as const,
  request: {
    body: jsonBody(
      z
        .object({
          monthDay: z
            .string()
            .regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, "MM-DD")
            .openapi({ example: "05-17" }),
        })
        .strict(),
    ),
  },
  responses: { 200: jsonContent(z.object({ monthDay: z.string() }), "Saved"), ...authErrors(413, 415) },
});

const ReferralView = z
  .object({
    code: z.string().openapi({ description: "My share code" }),
    invited: z.object({ pending: z.number().int(), rewarded: z.number().int(), refused: z.number().int() }),
    referredBy: z.object({ status: z.enum(["pending", "rewarded", "refused"]) }).nullable(),
    reward: z.number().int().openapi({ description: "分 off of the coupon each side gets" }),
  })
  .openapi("Referral");

export const myReferral = createRoute({
  operationId: "getMyReferral",
  method: "get",
  path: "/v1/me/referral",
  tags: ["Campaigns"],
  summary: "My share code and how my invitations went",
  description:
    'Made the first time. A new customer who accepts it and completes a first order earns both of us a coupon of REFERRAL_REWARD_FEN, unless the fraud guard finds us on one device (`X-Device-Id`), one address or one payment account (README "Referrals").',
  security: bearer,
  middleware: [requireAuth] as const,
  request: { headers: DeviceHeader },
  responses: { 200: jsonContent(ReferralView, "My referral"), ...authErrors() },
});

export const acceptReferral = createRoute({
  operationId: "acceptReferral",
  method: "post",
  path: "/v1/me/referral/accept",
  tags: ["Campaigns"],
  summary: "Accept an invitation (a share code) as a new customer",
  description: "404 REFERRAL_CODE_NOT_FOUND; 409 REFERRAL_NOT_ALLOWED with `reason` own, not_new (I have ordered), already.",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { headers: DeviceHeader, body: jsonBody(z.object({ code: z.string().trim().min(4).max(16) }).strict()) },
  responses: { 200: jsonContent(z.object({ status: z.literal("pending") }), "Accepted"), ...authErrors(404, 409, 413, 415) },
});

export const ShareCard = z
  .object({
    type: z.enum(["service", "technician"]),
    id: z.string(),
    title: LocalizedSchema,
    description: LocalizedSchema,
    image: z.string().nullable().openapi({ description: "The card's picture (a technician's profile photo), or null" }),
    referralCode: z.string().openapi({ description: "The sharer's share code" }),
  })
  .openapi("ShareCard");

export const createShareLink = createRoute({
  operationId: "createShareLink",
  method: "post",
  path: "/v1/share-links",
  tags: ["Campaigns"],
  summary: "A signed link to a service or a technician's profile, with its preview card",
  description:
    "`url` is `/s/{token}`: an HTML page with Open Graph tags (title, description, image) in zh-CN, or en with `?lang=en`. The link carries my share code. 404 for a service that is not offered or a technician who is not approved.",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { body: jsonBody(z.object({ type: z.enum(["service", "technician"]), id: z.string().min(1).max(64) }).strict()) },
  responses: {
    201: jsonContent(z.object({ token: z.string(), url: z.string(), card: ShareCard }).openapi("ShareLink"), "The link"),
    ...authErrors(404, 413, 415),
  },
});

const Token = z.object({
  token: z
    .string()
    .min(4)
    .max(2000)
    .openapi({ param: { name: "token", in: "path" }, example: "sl_eyJ2Ijox…" }),
});

export const shareCard = createRoute({
  operationId: "getShareCard",
  method: "get",
  path: "/v1/share-links/{token}",
  tags: ["Campaigns"],
  summary: "A share link's preview card (public)",
  description: "404 SHARE_LINK_INVALID when the token was altered or its target is gone.",
  request: { params: Token },
  responses: { 200: jsonContent(ShareCard, "The card"), ...errorResponses(404) },
});

export const sharePage = createRoute({
  operationId: "getSharePage",
  method: "get",
  path: "/s/{token}",
  tags: ["Campaigns"],
  summary: "A share link's page: HTML with Open Graph tags (public)",
  description: "zh-CN by default; `?lang=en`, or an Accept-Language starting with en, gives English.",
  request: { params: Token, query: z.object({ lang: z.enum(["zh", "en"]).optional() }) },
  responses: {
    200: { description: "The page", content: { "text/html": { schema: z.string() } } },
    ...errorResponses(404),
  },
});

export const shareImage = createRoute({
  operationId: "getShareImage",
  method: "get",
  path: "/s/{token}/image",
  tags: ["Campaigns"],
  summary: "A technician share link's card picture: the profile photo (public)",
  request: { params: Token },
  responses: {
    200: { description: "The image", content: { "image/jpeg": { schema: z.string().openapi({ format: "binary" }) } } },
    ...errorResponses(404),
  },
});
