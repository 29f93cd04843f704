import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer, jsonBody, jsonContent } from "../http/openapi";

export const Payee = z
  .object({
    provider: z.enum(["wechatpay", "alipay"]),
    account: z.string().openapi({ description: "Masked: the openid or Alipay account's first and last characters" }),
    accountType: z.enum(["WECHAT_OPENID", "ALIPAY_LOGON_ID", "ALIPAY_USER_ID"]),
    realName: z.string().nullable().openapi({ description: "Masked; null for a WeChat Pay account stored without a name" }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Payee");

const Payees = z.object({ items: z.array(Payee) }).openapi("Payees");

const Text = (max: number) => z.string().trim().min(1).max(max);

export const PayeeInput = z
  .discriminatedUnion("provider", [
    z
      .object({
        provider: z.literal("wechatpay"),
        openId: z
          .string()
          .regex(/^[A-Za-z0-9_-]{6,64}$/, "a WeChat openid")
          .optional()
          .openapi({
            description:
              "The technician's openid under the app (WECHATPAY_APPID). Absent: the openid the account bound with POST /v1/me/wechat (409 WECHAT_NOT_BOUND when none)",
            example: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
          }),
        realName: Text(64).optional().openapi({
          description:
            "The real name of the WeChat user, as verified by WeChat. Required before withdrawing ¥2,000 (200000 分) or more: WeChat Pay takes such transfers only with the payee's name (sent encrypted).",
        }),
      })
      .strict(),
    z
      .object({
        provider: z.literal("alipay"),
        identity: Text(100).openapi({ description: "Alipay login id (phone or email) or user id (2088…)", example: "13800138000" }),
        identityType: z.enum(["ALIPAY_LOGON_ID", "ALIPAY_USER_ID"]),
        realName: Text(64).openapi({ description: "The account holder's real name, as Alipay knows it" }),
      })
      .strict(),
  ])
  .openapi("PayeeInput");

const ProviderParam = z.object({
  provider: z.enum(["wechatpay", "alipay"]).openapi({ param: { name: "provider", in: "path" }, example: "wechatpay" }),
});
const TechnicianParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "tch_demo001" }),
});

const technician = requireRole("technician");
const description =
  "Where withdrawals are paid: a WeChat openid (merchant transfer) or an Alipay account with its real name, one per provider. Stored encrypted; shown masked.";

export const getOwn = createRoute({
  operationId: "getOwnPayee",
  method: "get",
  path: "/v1/technician/payee",
  tags: ["Technicians"],
  summary: "My payout accounts, masked (technician)",
  description,
  security: bearer,
  middleware: [technician] as const,
  responses: { 200: jsonContent(Payees, "One per provider set"), ...authErrors(404) },
});

export const putOwn = createRoute({
  operationId: "putOwnPayee",
  method: "put",
  path: "/v1/technician/payee",
  tags: ["Technicians"],
  summary: "Set or replace my payout account for a provider (technician)",
  description,
  security: bearer,
  middleware: [technician] as const,
  request: { body: jsonBody(PayeeInput) },
  responses: { 200: jsonContent(Payee, "The account now on file, masked"), ...authErrors(404, 409, 413, 415) },
});

export const deleteOwn = createRoute({
  operationId: "deleteOwnPayee",
  method: "delete",
  path: "/v1/technician/payee/{provider}",
  tags: ["Technicians"],
  summary: "Remove my payout account for a provider (technician)",
  security: bearer,
  middleware: [technician] as const,
  request: { params: ProviderParam },
  responses: { 204: { description: "Removed" }, ...authErrors(404) },
});

export const forStaff = createRoute({
  operationId: "getTechnicianPayee",
  method: "get",
  path: "/v1/admin/technicians/{id}/payee",
  tags: ["Technicians"],
  summary: "A technician's payout accounts, masked (staff)",
  security: bearer,
  middleware: [requireRole("operator", "admin", "merchant_admin")] as const,
  request: { params: TechnicianParam },
  responses: { 200: jsonContent(Payees, "One per provider set"), ...authErrors(404) },
});
