import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth, requireRole } from "../http/auth";
import { authErrors, bearer, CursorQuery, errorResponses, IdParam, jsonBody, jsonContent, LimitQuery } from "../http/openapi";
import { PURPOSE_NAMES } from "./consents.service";

const operators = requireRole("operator", "admin");
const TAGS = ["Personal data"];

const Purpose = z.enum(PURPOSE_NAMES).openapi({
  description:
    "location_sharing: a technician's live position shown to the customer of the order they travel to (default granted; withdrawn: tracking refused, open sockets closed). contact_sharing: a customer's contact phone shown to the order's technician (default granted; withdrawn: only the virtual number or the masked number).",
});

const ConsentState = z
  .object({
    purpose: Purpose,
    granted: z.boolean(),
    source: z
      .enum(["recorded", "default"])
      .openapi({ description: "default: no choice recorded yet (the app asks, e.g. at the first tracking)" }),
    policyVersion: z.string().nullable(),
    at: z.string().nullable(),
  })
  .openapi("ConsentState");

const Consents = z
  .object({
    policyVersion: z.string().openapi({ description: "The current version of the privacy policy text (PRIVACY_POLICY_VERSION)" }),
    items: z.array(ConsentState),
    history: z.array(z.object({ purpose: Purpose, granted: z.boolean(), policyVersion: z.string(), client: z.string(), at: z.string() })),
  })
  .openapi("Consents");

export const DataRequest = z
  .object({
    id: z.string(),
    accountId: z.string(),
    kind: z.enum(["export", "deletion"]),
    status: z.enum(["queued", "running", "ready", "downloaded", "expired", "failed", "pending", "completed", "cancelled"]),
    progress: z.object({ done: z.number().int(), total: z.number().int() }).openapi({ description: "Export: parts built of all parts" }),
    bytes: z.number().int().nullable(),
    dueAt: z.string().nullable().openapi({ description: "Deletion: carried out by the first daily run from then on" }),
    expiresAt: z.string().nullable().openapi({ description: "Export: the download link works until then, once" }),
    downloadedAt: z.string().nullable(),
    cancelledBy: z.string().nullable(),
    cancelReason: z.string().nullable(),
    lastError: z.string().nullable().openapi({
      description: "Why a deletion is held back at its due time (open_orders, unpaid_balance, pending_withdrawal) or an export failed",
    }),
    client: z.string(),
    completedAt: z.string().nullable(),
    createdAt: z.string(),
    downloadUrl: z.string().nullable().openapi({
      description:
        "Only for the owner of a ready export: a signed path, valid until expiresAt, that downloads the file once (no token needed)",
    }),
  })
  .openapi("DataRequest");

const ClientHeader = z.object({
  "x-client": z
    .string()
    .max(120)
    .optional()
    .openapi({
      param: { name: "x-client", in: "header" },
      description: "What the client is (e.g. ios/3.2.0), recorded with the change; else the User-Agent",
    }),
});

export const getConsents = createRoute({
  operationId: "getMyConsents",
  method: "get",
  path: "/v1/me/consents",
  tags: TAGS,
  summary: "My consents: each purpose's current state and every change",
  security: bearer,
  middleware: [requireAuth] as const,
  responses: { 200: jsonContent(Consents, "Consents"), ...authErrors() },
});

export const putConsent = createRoute({
  operationId: "recordMyConsent",
  method: "put",
  path: "/v1/me/consents/{purpose}",
  tags: TAGS,
  summary: "Grant or withdraw one purpose",
  description:
    "Records the choice with the policy version the person was shown, the time and the client (`X-Client`, else the User-Agent). A version other than the current one is 409 POLICY_VERSION_STALE (with `current`): show the new text first. Takes effect at once where the data is shared; withdrawing location_sharing closes the tracking sockets open on the caller's orders.",
  security: bearer,
  middleware: [requireAuth] as const,
  request: {
    params: z.object({ purpose: Purpose.openapi({ param: { name: "purpose", in: "path" } }) }),
    headers: ClientHeader,
    body: jsonBody(z.object({ granted: z.boolean(), policyVersion: z.string().min(1).max(40) }).strict()),
  },
  responses: { 200: jsonContent(ConsentState, "The purpose's state now"), ...authErrors(409, 413, 415) },
});

export const postExport = createRoute({
  operationId: "requestMyDataExport",
  method: "post",
  path: "/v1/me/data-exports",
  tags: TAGS,
  summary: "Ask for an export of my data (built in the background)",
  description:
    "202 with the request (queued). The export is built after the answer, part by part (account, consents, addresses decrypted, orders, reviews, payments, notifications, the technician profile, …); poll `GET /v1/me/data-requests/{id}` until `ready`, then download once from `downloadUrl` within EXPORT_LINK_TTL_MINUTES. One export is built at a time: 409 EXPORT_IN_PROGRESS with `requestId`.",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { headers: ClientHeader },
  responses: { 202: jsonContent(DataRequest, "The export request"), ...authErrors(409) },
});

export const getMyRequest = createRoute({
  operationId: "getMyDataRequest",
  method: "get",
  path: "/v1/me/data-requests/{id}",
  tags: TAGS,
  summary: "One of my data requests (export progress and link, or deletion)",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: IdParam("id", "dex_01J…") },
  responses: { 200: jsonContent(DataRequest, "The request"), ...authErrors(404) },
});

export const download = createRoute({
  operationId: "downloadMyDataExport",
  method: "get",
  path: "/v1/data-exports/download",
  tags: TAGS,
  summary: "Download an export once through its signed link",
  description:
    "The link from `downloadUrl` (signed, expiring) is the credential: no Authorization header. The first download answers the JSON file and deletes it; a second one is 409 EXPORT_ALREADY_DOWNLOADED, an expired link 409 EXPORT_LINK_EXPIRED, an altered one 403 EXPORT_LINK_INVALID.",
  request: { query: z.object({ token: z.string().min(1).max(600).openapi({ description: "From downloadUrl" }) }) },
  responses: {
    200: { description: "The export (JSON)", content: { "application/json": { schema: z.record(z.string(), z.unknown()) } } },
    ...errorResponses(403, 409),
  },
});

export const postDeletion = createRoute({
  operationId: "requestMyAccountDeletion",
  method: "post",
  path: "/v1/me/deletion",
  tags: TAGS,
  summary: "Ask for my account to be deleted (after a cooling-off period)",
  description:
    '202 with the deletion request, due DELETION_COOLING_OFF_DAYS later (cancellable until then); 200 with the same request when one is already waiting (two requests at once make one). Refused while the account has open orders (409 DELETION_OPEN_ORDERS), an unpaid balance (409 DELETION_UNPAID_BALANCE) or a withdrawal being paid (409 DELETION_PENDING_WITHDRAWAL), each with `count`. The daily cron then erases the personal data (README "Personal data"); orders and the ledger stay, detached from the person.',
  security: bearer,
  middleware: [requireAuth] as const,
  request: { headers: ClientHeader },
  responses: {
    200: jsonContent(DataRequest, "The deletion already waiting"),
    202: jsonContent(DataRequest, "The new deletion request"),
    ...authErrors(409),
  },
});

export const getDeletion = createRoute({
  operationId: "getMyAccountDeletion",
  method: "get",
  path: "/v1/me/deletion",
  tags: TAGS,
  summary: "My waiting account deletion",
  security: bearer,
  middleware: [requireAuth] as const,
  responses: { 200: jsonContent(DataRequest, "The waiting deletion"), ...authErrors(404) },
});

export const deleteDeletion = createRoute({
  operationId: "cancelMyAccountDeletion",
  method: "delete",
  path: "/v1/me/deletion",
  tags: TAGS,
  summary: "Cancel my waiting account deletion",
  description: "409 DELETION_NOT_PENDING when none waits (never asked, cancelled, or carried out).",
  security: bearer,
  middleware: [requireAuth] as const,
  responses: { 200: jsonContent(DataRequest, "The cancelled request"), ...authErrors(409) },
});

export const listRequests = createRoute({
  operationId: "listDataRequests",
  method: "get",
  path: "/v1/admin/data-requests",
  tags: TAGS,
  summary: "Data requests (exports and deletions), newest first (operators)",
  security: bearer,
  middleware: [operators] as const,
  request: {
    query: z.object({
      kind: z.enum(["export", "deletion"]).optional(),
      status: DataRequest.shape.status.optional(),
      accountId: z.string().max(64).optional(),
      limit: LimitQuery,
      cursor: CursorQuery,
    }),
  },
  responses: { 200: jsonContent(z.object({ items: z.array(DataRequest), nextCursor: z.string().nullable() }), "A page"), ...authErrors() },
});

export const getRequest = createRoute({
  operationId: "getDataRequest",
  method: "get",
  path: "/v1/admin/data-requests/{id}",
  tags: TAGS,
  summary: "One data request with its audit trail (operators)",
  security: bearer,
  middleware: [operators] as const,
  request: { params: IdParam("id", "ddl_01J…") },
  responses: {
    200: jsonContent(
      DataRequest.extend({
        trail: z.array(
          z.object({ at: z.string(), action: z.string(), actorId: z.string().nullable(), data: z.record(z.string(), z.unknown()) }),
        ),
      }).openapi("DataRequestDetail"),
      "The request and its trail",
    ),
    ...authErrors(404),
  },
});

export const cancelRequest = createRoute({
  operationId: "cancelDataRequest",
  method: "post",
  path: "/v1/admin/data-requests/{id}/cancel",
  tags: TAGS,
  summary: "Cancel an account deletion during its cooling-off period (operators, audited)",
  description: "404 for an unknown id or an export; 409 DELETION_NOT_PENDING once it is carried out or cancelled.",
  security: bearer,
  middleware: [operators] as const,
  request: { params: IdParam("id", "ddl_01J…"), body: jsonBody(z.object({ reason: z.string().trim().min(1).max(200) }).strict()) },
  responses: { 200: jsonContent(DataRequest, "The cancelled request"), ...authErrors(404, 409, 413, 415) },
});

export const retention = createRoute({
  operationId: "getRetentionSettings",
  method: "get",
  path: "/v1/admin/privacy/retention",
  tags: TAGS,
  summary: "Retention periods, deletion cooling-off, export link lifetime and the last retention run (operators)",
  security: bearer,
  middleware: [operators] as const,
  responses: {
    200: jsonContent(
      z
        .object({
          items: z.array(
            z.object({
              kind: z.string(),
              variable: z.string(),
              unit: z.enum(["days", "hours"]),
              period: z.number().int(),
              byCell: z.boolean().openapi({ description: "Kept and trimmed by the city cell itself (positions)" }),
            }),
          ),
          batchSize: z.number().int(),
          coolingOffDays: z.number().int(),
          exportLinkMinutes: z.number().int(),
          policyVersion: z.string(),
          lastRun: z
            .object({
              at: z.string(),
              kinds: z.array(z.object({ kind: z.string(), deleted: z.number().int(), more: z.boolean(), before: z.string() })),
            })
            .nullable(),
        })
        .openapi("RetentionSettings"),
      "Retention",
    ),
    ...authErrors(),
  },
});
