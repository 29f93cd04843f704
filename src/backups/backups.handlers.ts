import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authOf } from "../http/auth";
import { authErrors, bearer, createRouter, jsonContent } from "../http/openapi";
import { backupDownload, listBackups } from "./backup.service";

const operators = requireRole("operator", "admin");

const BackupPart = z.object({
  name: z.string().openapi({ description: "The part's file name under backups/<date>/ in the BACKUPS bucket" }),
  kind: z.enum(["schema", "rows", "indexes"]),
  table: z.string().nullable(),
  rows: z.number().int(),
  bytes: z.number().int(),
  sha256: z.string(),
});

const Backup = z
  .object({
    date: z.string().openapi({ description: "The UTC date the backup started (its folder)" }),
    status: z.enum(["running", "complete"]),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    tables: z.number().int(),
    rows: z.number().int(),
    bytes: z.number().int().openapi({ description: "Size of all parts together (the download's size)" }),
    parts: z.array(BackupPart).openapi({ description: "In restore order" }),
  })
  .openapi("Backup");

const list = createRoute({
  operationId: "listBackups",
  method: "get",
  path: "/v1/admin/backups",
  tags: ["Operations"],
  summary: "The D1 backups kept in R2, newest first (operators)",
  description:
    'One backup a day (cron 02:30 UTC), each as SQL parts in restore order with a manifest of row counts and SHA-256; kept `retentionDays` days. See README "Backups" for restoring.',
  security: bearer,
  middleware: [operators] as const,
  responses: {
    200: jsonContent(z.object({ retentionDays: z.number().int(), items: z.array(Backup) }).openapi("BackupList"), "Backups"),
    ...authErrors(),
  },
});

const download = createRoute({
  operationId: "downloadBackup",
  method: "get",
  path: "/v1/admin/backups/{date}/download",
  tags: ["Operations"],
  summary: "Download a complete backup as one SQL file (operators, audited)",
  description:
    "The parts concatenated in restore order: run it into an empty D1 database with `wrangler d1 execute <db> --remote --file`. 409 BACKUP_INCOMPLETE while the backup is still being written. Every download is written to the audit log.",
  security: bearer,
  middleware: [operators] as const,
  request: {
    params: z.object({
      date: z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}$/)
        .openapi({ param: { name: "date", in: "path" }, example: "2026-12-04" }),
    }),
  },
  responses: {
    200: { description: "The SQL file", content: { "application/sql": { schema: z.string() } } },
    ...authErrors(404, 409),
  },
});

export default createRouter()
  .openapi(list, async (c) => c.json(await listBackups(c.env), 200))
  .openapi(download, async (c) => {
    const file = await backupDownload(c.env, authOf(c), c.req.valid("param").date);
    return c.body(file.body, 200, {
      "Content-Type": "application/sql; charset=utf-8",
      "Content-Length": String(file.bytes),
      "Content-Disposition": `attachment; filename="${file.filename}"`,
      "Cache-Control": "private, no-store",
    });
  });
