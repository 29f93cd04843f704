import { createRoute, z } from "@hono/zod-openapi";
import { DISABLE_REASONS } from "../domain/account-status";
import { ROLES } from "../domain/roles";
import { requireRole } from "../http/auth";
import { authErrors, bearer, CursorQuery, IdParam, jsonBody, jsonContent, LimitQuery, page } from "../http/openapi";

const operators = requireRole("operator", "admin");

const reasons = DISABLE_REASONS.join(", ");

export const AccountAdmin = z
  .object({
    id: z.string().openapi({ example: "acc_01JD3Q8Z6X9V4M2K7T5R1N0PAB" }),
    phone: z.string().openapi({ description: "Masked", example: "+86138****5678" }),
    name: z.string().nullable(),
    roles: z.array(z.enum(ROLES)),
    merchantId: z.string().nullable(),
    status: z.enum(["active", "disabled"]),
    disabled: z
      .object({
        reason: z.enum(DISABLE_REASONS),
        note: z.string().nullable().openapi({ description: "Staff's note; never shown to the account holder" }),
        at: z.string(),
      })
      .nullable(),
    createdAt: z.string(),
  })
  .openapi("AccountAdmin");

export const DisableAccount = z
  .object({
    reason: z.enum(DISABLE_REASONS).openapi({ description: `Shown to the account holder in their language: ${reasons}` }),
    note: z.string().trim().min(1).max(500).optional().openapi({ description: "For staff only (audited)" }),
  })
  .strict()
  .openapi("DisableAccount");

const AccountId = IdParam("id", "acc_01JD3Q8Z6X9V4M2K7T5R1N0PAB");

export const listAccounts = createRoute({
  operationId: "listAccounts",
  method: "get",
  path: "/v1/admin/accounts",
  tags: ["Accounts"],
  summary: "Accounts, phones masked (operators): all, by status, or the one with a phone",
  security: bearer,
  middleware: [operators] as const,
  request: {
    query: z.object({
      limit: LimitQuery,
      cursor: CursorQuery,
      status: z.enum(["active", "disabled"]).optional(),
      phone: z.string().max(32).optional().openapi({ description: "E.164 or an 11-digit mainland number: that account only" }),
    }),
  },
  responses: { 200: jsonContent(page(AccountAdmin), "A page of accounts"), ...authErrors() },
});

export const getAccount = createRoute({
  operationId: "getAccount",
  method: "get",
  path: "/v1/admin/accounts/{id}",
  tags: ["Accounts"],
  summary: "One account (operators)",
  security: bearer,
  middleware: [operators] as const,
  request: { params: AccountId },
  responses: { 200: jsonContent(AccountAdmin, "The account"), ...authErrors(404) },
});

export const disableAccount = createRoute({
  operationId: "disableAccount",
  method: "post",
  path: "/v1/admin/accounts/{id}/disable",
  tags: ["Accounts"],
  summary: "Disable (ban) an account, with a reason (operators; audited)",
  description:
    "Effective at once: the account's access tokens answer 403 ACCOUNT_DISABLED on their next request (on every isolate within TOKEN_VERSION_CACHE_SECONDS), " +
    "every refresh token is revoked, and signing in again answers 403 ACCOUNT_DISABLED with `reason` and its text in the caller's language. " +
    "Only an admin may disable an operator or admin; nobody disables their own account (409 ACCOUNT_DISABLE_SELF). Disabling a disabled account changes nothing.",
  security: bearer,
  middleware: [operators] as const,
  request: { params: AccountId, body: jsonBody(DisableAccount) },
  responses: { 200: jsonContent(AccountAdmin, "The account, disabled"), ...authErrors(404, 409, 413, 415) },
});

export const enableAccount = createRoute({
  operationId: "enableAccount",
  method: "post",
  path: "/v1/admin/accounts/{id}/enable",
  tags: ["Accounts"],
  summary: "Enable a disabled account again (operators; audited)",
  description:
    "The account may sign in again; tokens revoked when it was disabled stay revoked. Enabling an active account changes nothing.",
  security: bearer,
  middleware: [operators] as const,
  request: { params: AccountId },
  responses: { 200: jsonContent(AccountAdmin, "The account, active"), ...authErrors(404, 409) },
});
