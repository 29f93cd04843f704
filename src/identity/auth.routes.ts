import { createRoute, z } from "@hono/zod-openapi";
import { ROLES } from "../domain/roles";
import { requireAuth } from "../http/auth";
import { authErrors, bearer, errorResponses, jsonBody, jsonContent } from "../http/openapi";

const Phone = z.string().min(1).max(32).openapi({ example: "+8613800000000", description: "E.164, or an 11-digit mainland mobile number" });

export const OtpRequest = z
  .object({
    phone: Phone,
    deviceId: z
      .string()
      .regex(/^[\w.:-]{8,128}$/, "8 to 128 letters, digits, '.', ':', '_' or '-'")
      .optional()
      .openapi({
        example: "ios-6f1c2a9e-3b7d-4a51-9c0e-2d8f4b7a1e35",
        description:
          "Optional: a stable id the app keeps for this installation (a UUID it stored). Sends are also limited per device (OTP_DEVICE_LIMIT); the id is stored only as a hash.",
      }),
  })
  .strict()
  .openapi("OtpRequest");
export const OtpResponse = z
  .object({
    expiresIn: z.number().int(),
    devCode: z.string().optional().openapi({ description: "Only when OTP_DEV_ECHO=1 (local development)" }),
  })
  .openapi("OtpResponse");

export const TokenRequest = z
  .union([
    z.object({ phone: Phone, code: z.string().regex(/^\d{6}$/, "a 6-digit code") }).strict(),
    z.object({ grantType: z.literal("refresh_token"), refreshToken: z.string().min(10).max(200) }).strict(),
  ])
  .openapi("TokenRequest");

export const TokenResponse = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string(),
    expiresIn: z.number().int(),
    account: z.object({ id: z.string(), roles: z.array(z.enum(ROLES)) }),
  })
  .openapi("TokenResponse");

export const LogoutRequest = z
  .object({ refreshToken: z.string().min(10).max(200) })
  .strict()
  .openapi("LogoutRequest");

export const requestOtp = createRoute({
  operationId: "requestOtp",
  method: "post",
  path: "/v1/auth/otp",
  tags: ["Accounts"],
  summary: "Send a sign-in code by SMS",
  description:
    "Only to phones of the countries in OTP_COUNTRIES (422 PHONE_COUNTRY_NOT_SUPPORTED otherwise). Rate limited on the sender first (per IP, per `deviceId` when given, per phone from one IP with a cool-down), then per phone from everyone (a safety cap): 429 RATE_LIMITED with Retry-After. Someone spending sends against your number from elsewhere does not stop you getting a code from your own network, up to the cap. 503 SMS_UNAVAILABLE when the SMS provider did not take the message.",
  request: { body: jsonBody(OtpRequest) },
  responses: { 202: jsonContent(OtpResponse, "Code sent"), ...errorResponses(413, 415, 422, 429, 503) },
});

export const token = createRoute({
  operationId: "issueToken",
  method: "post",
  path: "/v1/auth/token",
  tags: ["Accounts"],
  summary: "Sign in with a code, or rotate a refresh token",
  description:
    "`{ phone, code }` signs in (creating a customer account on first use). `{ grantType: 'refresh_token', refreshToken }` rotates: the old refresh token stops working, and presenting it again (a stolen copy, or two concurrent rotations) revokes every refresh token of that sign-in and every access token of the account (401 REFRESH_TOKEN_REUSED). A disabled account gets 403 ACCOUNT_DISABLED with `reason`. A code takes OTP_MAX_ATTEMPTS guesses at most, however many arrive at once, then is burnt. Rate limited per IP (RATE_LIMIT_SIGNIN) and code guesses per phone (RATE_LIMIT_SIGNIN_PHONE): 429 RATE_LIMITED with Retry-After. The access token carries the account's token version; a request with a token whose version is no longer current answers 401 TOKEN_REVOKED (refresh, or sign in again).",
  request: { body: jsonBody(TokenRequest) },
  responses: { 200: jsonContent(TokenResponse, "Tokens"), ...errorResponses(401, 403, 413, 415, 429) },
});

export const logout = createRoute({
  operationId: "logout",
  method: "post",
  path: "/v1/auth/logout",
  tags: ["Accounts"],
  summary: "Sign out: revoke the refresh token and its family",
  request: { body: jsonBody(LogoutRequest) },
  responses: { 204: { description: "Signed out" }, ...errorResponses(413, 415) },
});

export const logoutAll = createRoute({
  operationId: "logoutAll",
  method: "post",
  path: "/v1/auth/logout-all",
  tags: ["Accounts"],
  summary: "Sign out everywhere: revoke every refresh token and access token of my account",
  description:
    "Every refresh token of the account is revoked and its token version goes up: its access tokens (this one included) answer 401 TOKEN_REVOKED from the next request, on every isolate within TOKEN_VERSION_CACHE_SECONDS.",
  security: bearer,
  middleware: [requireAuth] as const,
  responses: { 204: { description: "Signed out everywhere" }, ...authErrors() },
});
