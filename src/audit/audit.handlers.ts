import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { auditPage } from "./audit.service";
import { authErrors, bearer, jsonContent, LimitQuery, createRouter, page } from "../http/openapi";

const AuditEntry = z
  .object({
    seq: z.number().int(),
    at: z.string(),
    actorId: z.string().nullable(),
    action: z.string(),
    targetType: z.string(),
    targetId: z.string(),
    data: z.record(z.string(), z.unknown()),
    hash: z.string(),
    prevHash: z.string(),
    verified: z.boolean().openapi({ description: "The entry's hash matches its content and chains to the one before" }),
  })
  .openapi("AuditEntry");

const list = createRoute({
  operationId: "listAuditEntries",
  method: "get",
  path: "/v1/admin/audit",
  tags: ["Operations"],
  summary: "The append-only, hash-chained audit log (admins)",
  description: "Role grants, approvals, city changes, home moves and other sensitive actions, newest first.",
  security: bearer,
  middleware: [requireRole("admin")] as const,
  request: { query: z.object({ limit: LimitQuery, cursor: z.string().max(20).optional() }) },
  responses: { 200: jsonContent(page(AuditEntry), "Entries"), ...authErrors() },
});

export default createRouter().openapi(list, async (c) => c.json(await auditPage(c.env, c.req.valid("query")), 200));
