import { createRoute, z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { requireRole } from "../http/auth";
import { DOCUMENT_MAX_BYTES, documentTooLarge } from "./documents.service";
import { authErrors, bearer, CursorQuery, jsonContent, LimitQuery, page } from "../http/openapi";

export const Binary = z.string().openapi({ type: "string", format: "binary" });
export const fileContent = {
  "image/jpeg": { schema: Binary },
  "image/png": { schema: Binary },
  "image/webp": { schema: Binary },
  "application/pdf": { schema: Binary },
};

// The app-wide JSON body limit skips these uploads; this is theirs.
export const documentBodyLimit = bodyLimit({
  maxSize: DOCUMENT_MAX_BYTES,
  onError: () => {
    throw documentTooLarge();
  },
});

const Id = (name: string, example: string) =>
  z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name, in: "path" }, example });
const TechnicianParam = z.object({ id: Id("id", "tch_demo001") });
const DocumentParam = TechnicianParam.extend({ documentId: Id("documentId", "doc_01JD3Q8Z6X9V4M2K7T5R1N0PAB") });
export const DOCUMENT_KINDS = ["id_card", "certificate", "health", "other"] as const;
export const Kind = z.object({
  kind: z
    .enum(DOCUMENT_KINDS)
    .openapi({ description: "id_card, certificate (skill or trade licence), health (health certificate), other" }),
  expiresOn: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .optional()
    .openapi({ description: "The certificate's expiry date (YYYY-MM-DD, end of that day UTC+8); reminders go out 30 and 7 days before" }),
});

export const Document = z
  .object({
    id: z.string(),
    technicianId: z.string(),
    kind: z.string(),
    contentType: z.string(),
    size: z.number().int().openapi({ description: "bytes" }),
    status: z
      .enum(["pending", "approved", "rejected"])
      .openapi({ description: "Decided one by one by staff (POST …/documents/{documentId}/decision)" }),
    reviewReason: z.string().nullable(),
    reviewedAt: z.string().nullable(),
    expiresAt: z.string().nullable().openapi({ description: "When the certificate stops being valid; null: it does not expire" }),
    expired: z
      .boolean()
      .openapi({ description: "The expiry passed: the skills it proves are not offered until a renewed one is approved" }),
    url: z.string().openapi({ description: "GET it with a staff access token (audited)" }),
    createdAt: z.string(),
  })
  .openapi("TechnicianDocument");

const uploadDescription =
  "The body is the file itself: `Content-Type` image/jpeg, image/png, image/webp or application/pdf (else 415), at most 10 MB (else 413 DOCUMENT_TOO_LARGE), its bytes of that format (else 400 DOCUMENT_INVALID); at most 30 a technician (409 DOCUMENT_LIMIT). Stored in R2, status `pending` until staff decide it (each document on its own). `expiresOn` must be a real date in the future (else 400). Audited.";

export const uploadForTechnician = createRoute({
  operationId: "uploadTechnicianDocument",
  method: "post",
  path: "/v1/admin/technicians/{id}/documents",
  tags: ["Technicians"],
  summary: "Upload a qualification document for a technician (staff)",
  description: uploadDescription,
  security: bearer,
  middleware: [requireRole("operator", "admin", "merchant_admin"), documentBodyLimit] as const,
  request: { params: TechnicianParam, query: Kind, body: { required: true, content: fileContent } },
  responses: { 201: jsonContent(Document, "Stored"), ...authErrors(404, 409, 413, 415) },
});

export const listForTechnician = createRoute({
  operationId: "listTechnicianDocuments",
  method: "get",
  path: "/v1/admin/technicians/{id}/documents",
  tags: ["Technicians"],
  summary: "A technician's qualification documents with their review status",
  security: bearer,
  middleware: [requireRole("operator", "admin", "merchant_admin")] as const,
  request: { params: TechnicianParam, query: z.object({ limit: LimitQuery, cursor: CursorQuery }) },
  responses: { 200: jsonContent(page(Document), "Documents, oldest first"), ...authErrors(404) },
});

export const download = createRoute({
  operationId: "downloadTechnicianDocument",
  method: "get",
  path: "/v1/admin/technicians/{id}/documents/{documentId}",
  tags: ["Technicians"],
  summary: "One qualification document: the file's bytes (audited)",
  security: bearer,
  middleware: [requireRole("operator", "admin", "merchant_admin")] as const,
  request: { params: DocumentParam },
  responses: { 200: { description: "The file", content: fileContent }, ...authErrors(404) },
});

export const uploadOwn = createRoute({
  operationId: "uploadOwnDocument",
  method: "post",
  path: "/v1/technician/documents",
  tags: ["Technicians"],
  summary: "Upload one of my qualification documents (technician)",
  description: uploadDescription,
  security: bearer,
  middleware: [requireRole("technician"), documentBodyLimit] as const,
  request: { query: Kind, body: { required: true, content: fileContent } },
  responses: { 201: jsonContent(Document, "Stored"), ...authErrors(404, 409, 413, 415) },
});

export const listOwn = createRoute({
  operationId: "listOwnDocuments",
  method: "get",
  path: "/v1/technician/documents",
  tags: ["Technicians"],
  summary: "My qualification documents and their review status (technician)",
  security: bearer,
  middleware: [requireRole("technician")] as const,
  request: { query: z.object({ limit: LimitQuery, cursor: CursorQuery }) },
  responses: { 200: jsonContent(page(Document), "Documents, oldest first"), ...authErrors(404) },
});
