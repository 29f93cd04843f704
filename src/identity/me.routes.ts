import { createRoute, z } from "@hono/zod-openapi";
import { ROLES } from "../domain/roles";
import { requireAuth } from "../http/auth";
import { authErrors, bearer, jsonBody, jsonContent } from "../http/openapi";

export const Me = z
  .object({
    id: z.string(),
    phone: z.string(),
    name: z.string().nullable(),
    roles: z.array(z.enum(ROLES)),
    merchant: z.object({ id: z.string(), name: z.string() }).nullable(),
    technician: z.object({ id: z.string(), name: z.string(), status: z.string(), homeCell: z.string() }).nullable(),
    createdAt: z.string(),
  })
  .openapi("Me");

export const getMe = createRoute({
  operationId: "getMe",
  method: "get",
  path: "/v1/me",
  tags: ["Accounts"],
  summary: "The signed-in account, its roles, merchant and technician profile",
  security: bearer,
  middleware: [requireAuth] as const,
  responses: { 200: jsonContent(Me, "The account"), ...authErrors(404) },
});

export const patchMe = createRoute({
  operationId: "patchMe",
  method: "patch",
  path: "/v1/me",
  tags: ["Accounts"],
  summary: "Change the account's display name",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { body: jsonBody(z.object({ name: z.string().trim().min(1).max(60) }).strict()) },
  responses: { 200: jsonContent(Me, "The account"), ...authErrors(404, 413, 415) },
});
