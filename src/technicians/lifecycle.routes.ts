import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth, requireRole } from "../http/auth";
import { authErrors, bearer, CursorQuery, IdParam, jsonBody, jsonContent, LimitQuery, page } from "../http/openapi";
import { LatLngSchema } from "../catalog/cities.routes";
import { Document, DOCUMENT_KINDS, documentBodyLimit, fileContent, Kind } from "./documents.routes";
import { Technician } from "./technicians.routes";

const STAFF = ["operator", "admin", "merchant_admin"] as const;
const SkillList = z.array(z.string().min(1).max(40)).min(1).max(50);
const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .openapi({ example: "2027-06-30" });

const Missing = z.object({ skill: z.string(), kind: z.enum(DOCUMENT_KINDS) });

export const Application = z
  .object({
    technician: Technician,
    realName: z.string().nullable().openapi({ description: "The real name given when applying (sealed at rest; staff reads are audited)" }),
    documents: z.array(Document),
    missing: z.array(Missing).openapi({ description: "Documents the skills require that are not approved (and valid) yet" }),
    requirements: z.array(z.object({ skill: z.string(), kinds: z.array(z.enum(DOCUMENT_KINDS)) })),
  })
  .openapi("TechnicianApplication");

const Apply = z
  .object({
    realName: z.string().trim().min(1).max(60).openapi({ description: "Real (legal) name as on the ID card; personal data, sealed" }),
    name: z.string().trim().min(1).max(60).openapi({ description: "The name customers see" }),
    skills: SkillList.openapi({ example: ["cleaning.basic"] }),
    home: LatLngSchema.openapi({ description: "The centre of the service area (kept sealed, ~1 km in the clear)" }),
    serviceRadiusKm: z.number().positive().max(100).default(10),
  })
  .strict()
  .openapi("TechnicianApply");

export const apply = createRoute({
  operationId: "applyAsTechnician",
  method: "post",
  path: "/v1/me/technician-application",
  tags: ["Technicians"],
  summary: "Apply to work as a technician (any signed-in person)",
  description:
    "Creates the caller's technician profile in status `pending` (a platform technician), grants the technician role (sign in again or refresh to use it) " +
    "and seals the real name. Every skill must exist (400 UNKNOWN_SKILL), the home must lie in a served city (400 HOME_OUTSIDE_CITIES). " +
    "409 TECHNICIAN_EXISTS when the account already has a profile. Upload the documents the skills require next (see `requirements`). Audited.",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { body: jsonBody(Apply) },
  responses: { 201: jsonContent(Application, "Applied, pending review"), ...authErrors(404, 409, 413, 415) },
});

export const myApplication = createRoute({
  operationId: "getMyTechnicianApplication",
  method: "get",
  path: "/v1/me/technician-application",
  tags: ["Technicians"],
  summary: "My technician application or profile: status, documents, what is still missing",
  security: bearer,
  middleware: [requireAuth] as const,
  responses: { 200: jsonContent(Application, "The application"), ...authErrors(404) },
});

export const uploadApplicationDocument = createRoute({
  operationId: "uploadMyApplicationDocument",
  method: "post",
  path: "/v1/me/technician-application/documents",
  tags: ["Technicians"],
  summary: "Upload a document to my application (ID card, certificate, health certificate)",
  description:
    "The body is the file (image/jpeg, image/png, image/webp or application/pdf, at most 10 MB; else 415/413/400). `expiresOn` is the certificate's last valid day " +
    "(a real date not yet past, else 400). 404 without an application, 409 INVALID_TRANSITION once removed. Pending until staff decide it. Audited.",
  security: bearer,
  middleware: [requireAuth, documentBodyLimit] as const,
  request: { query: Kind, body: { required: true, content: fileContent } },
  responses: { 201: jsonContent(Document, "Stored"), ...authErrors(404, 409, 413, 415) },
});

export const reviewApplication = createRoute({
  operationId: "getTechnicianApplication",
  method: "get",
  path: "/v1/admin/technicians/{id}/application",
  tags: ["Technicians"],
  summary: "A technician's application for review: real name (read audited), documents, what is missing",
  security: bearer,
  middleware: [requireRole(...STAFF)] as const,
  request: { params: IdParam("id", "tch_demo001") },
  responses: { 200: jsonContent(Application, "The application"), ...authErrors(404) },
});

const Decision = z
  .object({
    decision: z.enum(["approve", "reject"]),
    reason: z.string().trim().min(1).max(500).optional().openapi({ description: "Required to reject (400 otherwise)" }),
    expiresOn: Day.optional().openapi({ description: "On approval: the certificate's last valid day (sets or corrects the uploaded one)" }),
  })
  .strict()
  .openapi("DocumentDecision");

export const decideDocument = createRoute({
  operationId: "decideTechnicianDocument",
  method: "post",
  path: "/v1/admin/technicians/{id}/documents/{documentId}/decision",
  tags: ["Technicians"],
  summary: "Approve or reject one qualification document (staff)",
  description:
    "Only a `pending` document; of two staff deciding it at once exactly one wins, the other gets 409 INVALID_TRANSITION. " +
    "Approving a renewed certificate of an approved technician brings back the skills it proves. Audited (`technician.document.approve|reject`).",
  security: bearer,
  middleware: [requireRole(...STAFF)] as const,
  request: {
    params: IdParam("id", "tch_demo001").merge(IdParam("documentId", "doc_01JD3Q8Z6X9V4M2K7T5R1N0PAB")),
    body: jsonBody(Decision),
  },
  responses: { 200: jsonContent(Document, "Decided"), ...authErrors(404, 409, 413, 415) },
});

const Suspend = z
  .object({
    reason: z.string().trim().min(1).max(500),
    until: z
      .string()
      .datetime({ offset: true })
      .openapi({ description: "When the suspension ends (the cron reinstates then); in the future", example: "2027-01-10T00:00:00+08:00" }),
  })
  .strict()
  .openapi("SuspendTechnician");
const Remove = z
  .object({ reason: z.string().trim().min(1).max(500) })
  .strict()
  .openapi("RemoveTechnician");
const Reinstate = z.object({}).strict().openapi("ReinstateTechnician");

const statusEffect =
  "Effective at once: the home cell's copy follows, so a technician not `approved` gets no offers and is not in availability; " +
  "its assigned or accepted orders not yet started go back to dispatch (another technician, or the exception queue when nobody fits). ";

export const suspend = createRoute({
  operationId: "suspendTechnician",
  method: "post",
  path: "/v1/admin/technicians/{id}/suspend",
  tags: ["Technicians"],
  summary: "Suspend a technician with a reason until a date (staff)",
  description:
    statusEffect + "From `approved` (or `suspended`, to change the end). `until` in the past is 400. Audited (`technician.suspend`).",
  security: bearer,
  middleware: [requireRole(...STAFF)] as const,
  request: { params: IdParam("id", "tch_demo001"), body: jsonBody(Suspend) },
  responses: { 200: jsonContent(Technician, "Suspended"), ...authErrors(404, 409, 413, 415) },
});

export const reinstate = createRoute({
  operationId: "reinstateTechnician",
  method: "post",
  path: "/v1/admin/technicians/{id}/reinstate",
  tags: ["Technicians"],
  summary: "Reinstate a suspended technician before the end date (staff)",
  description:
    "Only from `suspended` (else 409 INVALID_TRANSITION). Offers and availability resume at once. Audited (`technician.reinstate`).",
  security: bearer,
  middleware: [requireRole(...STAFF)] as const,
  request: { params: IdParam("id", "tch_demo001"), body: jsonBody(Reinstate) },
  responses: { 200: jsonContent(Technician, "Reinstated"), ...authErrors(404, 409, 413, 415) },
});

export const remove = createRoute({
  operationId: "removeTechnician",
  method: "post",
  path: "/v1/admin/technicians/{id}/remove",
  tags: ["Technicians"],
  summary: "Remove a technician for good, with a reason (staff)",
  description:
    statusEffect +
    "From any status but `removed` (409 INVALID_TRANSITION). The record and its history stay. Audited (`technician.remove`).",
  security: bearer,
  middleware: [requireRole(...STAFF)] as const,
  request: { params: IdParam("id", "tch_demo001"), body: jsonBody(Remove) },
  responses: { 200: jsonContent(Technician, "Removed"), ...authErrors(404, 409, 413, 415) },
});

const Propose = z
  .object({
    name: z.string().trim().min(1).max(60).optional(),
    skills: SkillList.optional(),
    serviceRadiusKm: z.number().positive().max(100).optional(),
    home: LatLngSchema.optional().openapi({ description: "A new service-area centre (the home cell moves on approval)" }),
  })
  .strict()
  .openapi("ProposeTechnicianChange");

const ChangeRequest = z
  .object({
    id: z.string(),
    technicianId: z.string(),
    technician: z
      .object({ name: z.string(), skills: z.array(z.string()), serviceRadiusKm: z.number(), status: z.string() })
      .optional()
      .openapi({ description: "The current profile (staff lists)" }),
    changes: z.record(z.string(), z.unknown()).openapi({ description: "name, skills, serviceRadiusKm, homeCell (the new area's H3 cell)" }),
    status: z.enum(["pending", "approved", "rejected", "withdrawn"]),
    reason: z.string().nullable(),
    decidedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("TechnicianChangeRequest");

export const propose = createRoute({
  operationId: "proposeTechnicianChange",
  method: "post",
  path: "/v1/technician/profile-changes",
  tags: ["Technicians"],
  summary: "Propose a change of my name, skills, service radius or service area (technician)",
  description:
    "Staff approve or reject it. One pending at a time (409 PROFILE_CHANGE_PENDING); an empty proposal or unknown skill is 400. New skills need their required documents approved before staff can approve.",
  security: bearer,
  middleware: [requireRole("technician")] as const,
  request: { body: jsonBody(Propose) },
  responses: { 201: jsonContent(ChangeRequest, "Proposed"), ...authErrors(404, 409, 413, 415) },
});

export const myChanges = createRoute({
  operationId: "listMyTechnicianChanges",
  method: "get",
  path: "/v1/technician/profile-changes",
  tags: ["Technicians"],
  summary: "My proposed profile changes and their decisions (technician)",
  security: bearer,
  middleware: [requireRole("technician")] as const,
  responses: { 200: jsonContent(z.object({ items: z.array(ChangeRequest) }), "Newest first"), ...authErrors(404) },
});

export const listChanges = createRoute({
  operationId: "listTechnicianChanges",
  method: "get",
  path: "/v1/admin/technician-changes",
  tags: ["Technicians"],
  summary: "Technicians' proposed profile changes by status (staff; a merchant_admin sees its own)",
  security: bearer,
  middleware: [requireRole(...STAFF)] as const,
  request: {
    query: z.object({
      status: z.enum(["pending", "approved", "rejected", "withdrawn"]).default("pending"),
      limit: LimitQuery,
      cursor: CursorQuery,
    }),
  },
  responses: { 200: jsonContent(page(ChangeRequest), "Oldest first"), ...authErrors() },
});

const ChangeDecision = z
  .object({
    decision: z.enum(["approve", "reject"]),
    reason: z.string().trim().min(1).max(500).optional().openapi({ description: "Required to reject" }),
  })
  .strict()
  .openapi("TechnicianChangeDecision");

export const decideChange = createRoute({
  operationId: "decideTechnicianChange",
  method: "post",
  path: "/v1/admin/technician-changes/{id}/decision",
  tags: ["Technicians"],
  summary: "Approve (apply) or reject a proposed profile change (staff)",
  description:
    "Only a pending proposal (409 INVALID_TRANSITION; of two staff at once one wins). Approving applies it at once (dispatch and the cell follow); " +
    "new skills need their required documents approved (409 DOCUMENTS_MISSING, the proposal stays pending). Audited.",
  security: bearer,
  middleware: [requireRole(...STAFF)] as const,
  request: { params: IdParam("id", "tcr_01JD3Q8Z6X9V4M2K7T5R1N0PAB"), body: jsonBody(ChangeDecision) },
  responses: { 200: jsonContent(ChangeRequest, "Decided"), ...authErrors(404, 409, 413, 415) },
});

const Requirement = z.object({ skill: z.string(), kinds: z.array(z.enum(DOCUMENT_KINDS)) }).openapi("SkillDocumentRequirement");

export const listRequirements = createRoute({
  operationId: "listSkillDocumentRequirements",
  method: "get",
  path: "/v1/admin/skill-documents",
  tags: ["Technicians"],
  summary: "The documents each skill requires (skills requiring none are left out)",
  security: bearer,
  middleware: [requireRole(...STAFF)] as const,
  responses: { 200: jsonContent(z.object({ items: z.array(Requirement) }), "By skill"), ...authErrors() },
});

export const setRequirements = createRoute({
  operationId: "setSkillDocumentRequirements",
  method: "put",
  path: "/v1/admin/skill-documents/{skill}",
  tags: ["Technicians"],
  summary: "Set the documents a skill requires (operators)",
  description:
    "Replaces the list (empty: none). The skill must exist (400 UNKNOWN_SKILL). Applications and new skills are checked against it from now on; " +
    "an approved technician's skills lapse by it when their documents are next decided or expire. Audited (`skill.documents.set`).",
  security: bearer,
  middleware: [requireRole("operator", "admin")] as const,
  request: {
    params: IdParam("skill", "nursing.elderly"),
    body: jsonBody(
      z
        .object({ kinds: z.array(z.enum(DOCUMENT_KINDS)).max(4) })
        .strict()
        .openapi("SetSkillDocuments"),
    ),
  },
  responses: { 200: jsonContent(Requirement, "Set"), ...authErrors(413, 415) },
});
