import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth } from "../http/auth";
import { authErrors, bearer, errorResponses, jsonBody, jsonContent } from "../http/openapi";
import { TokenResponse } from "./auth.routes";

const Code = z
  .string()
  .trim()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, "a wx.login code")
  .openapi({
    description: "The code from the mini program's wx.login (valid 5 minutes, usable once)",
    example: "0a3Xyz000abcDE1def2GHi3jkl4Xyz0c",
  });

export const WechatCodeRequest = z.object({ code: Code }).strict().openapi("WechatCodeRequest");

export const WechatSignInResponse = z
  .discriminatedUnion("bound", [
    TokenResponse.extend({ bound: z.literal(true) }),
    z.object({ bound: z.literal(false) }).openapi({
      description: "No account holds this WeChat yet: sign in by phone (POST /v1/auth/otp, /v1/auth/token), then POST /v1/me/wechat",
    }),
  ])
  .openapi("WechatSignInResponse");

export const WechatBinding = z
  .discriminatedUnion("bound", [
    z.object({
      bound: z.literal(true),
      appid: z.string().openapi({ description: "The mini program the openid belongs to" }),
      openId: z.string().openapi({ description: "Masked" }),
      unionid: z.boolean().openapi({ description: "Whether WeChat gave a unionid (the app is on an open-platform account)" }),
      lang: z
        .enum(["zh", "en"])
        .openapi({ description: "The language subscribe messages go out in (the client's when it last signed in or bound)" }),
      boundAt: z.string(),
    }),
    z.object({ bound: z.literal(false) }),
  ])
  .openapi("WechatBinding");

const wechatHow =
  "The code is exchanged with WeChat (code2session, WECHAT_API_BASE) for the person's openid under the mini program (WECHAT_MINIPROGRAM_APPID, by default WECHATPAY_APPID); WeChat's session key is never kept. Accept-Language (zh-CN or en) sets the language of subscribe messages. 400 WECHAT_CODE_INVALID for a wrong, expired or used code (call wx.login again); 403 WECHAT_USER_BLOCKED when WeChat refuses the user; 503 WECHAT_UNAVAILABLE with Retry-After when WeChat is busy; 409 WECHAT_NOT_CONFIGURED without WECHAT_MINIPROGRAM_SECRET.";

export const signIn = createRoute({
  operationId: "signInWithWechat",
  method: "post",
  path: "/v1/auth/wechat",
  tags: ["Accounts"],
  summary: "Sign in from the mini program with a wx.login code",
  description: `An openid bound to an account signs it in (the same tokens as POST /v1/auth/token, with bound: true). Otherwise the answer is {bound: false} and nothing is created: the client signs in by phone and binds with POST /v1/me/wechat and a new code. Rate limited per IP (429). ${wechatHow}`,
  request: { body: jsonBody(WechatCodeRequest) },
  responses: { 200: jsonContent(WechatSignInResponse, "Signed in, or not bound yet"), ...errorResponses(403, 409, 413, 415, 429, 503) },
});

export const getBinding = createRoute({
  operationId: "getWechatBinding",
  method: "get",
  path: "/v1/me/wechat",
  tags: ["Accounts"],
  summary: "The WeChat bound to my account (masked)",
  security: bearer,
  middleware: [requireAuth] as const,
  responses: { 200: jsonContent(WechatBinding, "The binding, or {bound: false}"), ...authErrors(409) },
});

export const bind = createRoute({
  operationId: "bindWechat",
  method: "post",
  path: "/v1/me/wechat",
  tags: ["Accounts"],
  summary: "Bind my WeChat with a fresh wx.login code",
  description: `Binds the openid to the signed-in account, replacing the account's earlier WeChat under the app; binding the same WeChat again refreshes it. 409 WECHAT_ALREADY_BOUND when another account holds the openid (unbind it there first). The bound openid pays JSAPI payments when no openId is given, can be a technician's WeChat payout account, and receives subscribe messages. ${wechatHow}`,
  security: bearer,
  middleware: [requireAuth] as const,
  request: { body: jsonBody(WechatCodeRequest) },
  responses: { 200: jsonContent(WechatBinding, "Bound"), ...authErrors(409, 413, 415, 503) },
});

export const unbind = createRoute({
  operationId: "unbindWechat",
  method: "delete",
  path: "/v1/me/wechat",
  tags: ["Accounts"],
  summary: "Unbind my WeChat",
  description:
    "Removes the binding: the WeChat no longer signs in to the account, and subscribe messages stop. A payout account set from it stays until removed.",
  security: bearer,
  middleware: [requireAuth] as const,
  responses: { 204: { description: "Unbound" }, ...authErrors(404, 409) },
});
