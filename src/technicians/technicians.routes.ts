import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer, CursorQuery, jsonBody, jsonContent, LimitQuery, page } from "../http/openapi";
import { LatLngSchema } from "../catalog/cities.routes";

export const TECHNICIAN_STATUSES = ["pending", "approved", "rejected", "suspended", "removed"] as const;

export const Technician = z
  .object({
    id: z.string().openapi({ example: "tch_01JD3Y2Q8X0000000000000000" }),
    accountId: z.string(),
    name: z.string(),
    phone: z.string().openapi({ description: "Masked unless the caller is the technician", example: "+86159****1234" }),
    merchantId: z.string().nullable().openapi({ description: "null for a platform-run technician" }),
    skills: z.array(z.string()),
    home: LatLngSchema,
    homeCell: z.string().openapi({ description: "H3 cell of the home at H3_RESOLUTION: the cell that owns the calendar" }),
    cityId: z.string(),
    serviceRadiusKm: z.number(),
    status: z
      .enum(TECHNICIAN_STATUSES)
      .openapi({ description: "Only `approved` technicians get offers and show in availability; `removed` is final" }),
    statusReason: z.string().nullable().openapi({ description: "Why it was suspended or removed" }),
    suspendedUntil: z
      .string()
      .nullable()
      .openapi({ description: "When a suspension ends: the technician is reinstated automatically then" }),
    lapsedSkills: z
      .array(z.string())
      .openapi({ description: "Skills not offered because a required document expired, until a renewed one is approved" }),
    rating: z.number().openapi({ example: 4.87 }),
    ratingCount: z.number().int(),
    createdAt: z.string().openapi({ example: "2026-11-22T02:00:00.000Z" }),
  })
  .openapi("Technician");

export const CreateTechnician = z
  .object({
    phone: z.string().min(1).max(32).openapi({ example: "+8615912341234" }),
    name: z.string().trim().min(1).max(60),
    merchantId: z.string().min(1).max(64).optional().openapi({ description: "Defaults to the merchant_admin's own merchant" }),
    skills: z
      .array(z.string().min(1).max(40))
      .min(1)
      .max(50)
      .openapi({ example: ["cleaning.basic"] }),
    home: LatLngSchema,
    serviceRadiusKm: z.number().positive().max(100).default(10),
  })
  .strict()
  .openapi("CreateTechnician");

export const PatchTechnician = z
  .object({
    name: z.string().trim().min(1).max(60).optional(),
    skills: z.array(z.string().min(1).max(40)).min(1).max(50).optional(),
    serviceRadiusKm: z.number().positive().max(100).optional(),
  })
  .strict()
  .openapi("PatchTechnician");

const RejectTechnician = z
  .object({ reason: z.string().trim().min(1).max(500) })
  .strict()
  .openapi("RejectTechnician");

const TechnicianId = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "tch_01JD3Y2Q8X0000000000000000" }),
});

export const createTechnician = createRoute({
  operationId: "createTechnician",
  method: "post",
  path: "/v1/admin/technicians",
  tags: ["Technicians"],
  summary: "Register a technician (operators, merchant admins)",
  description:
    "Finds or creates the account by phone, grants it the technician role and creates the profile in status `pending`. " +
    "The home must lie in a served city (400 HOME_OUTSIDE_CITIES); every skill must exist (400 UNKNOWN_SKILL). " +
    "A merchant_admin registers for its own merchant only. 409 TECHNICIAN_EXISTS when the phone already is a technician.",
  security: bearer,
  middleware: [requireRole("operator", "admin", "merchant_admin")] as const,
  request: { body: jsonBody(CreateTechnician) },
  responses: { 201: jsonContent(Technician, "Registered, pending approval"), ...authErrors(404, 409, 413, 415) },
});

export const listTechnicians = createRoute({
  operationId: "listTechnicians",
  method: "get",
  path: "/v1/admin/technicians",
  tags: ["Technicians"],
  summary: "Technicians by city, home cell and status (a merchant_admin sees its own merchant's)",
  security: bearer,
  middleware: [requireRole("operator", "admin", "merchant_admin")] as const,
  request: {
    query: z.object({
      city: z.string().min(1).max(64).optional().openapi({ description: "City id" }),
      cell: z.string().min(1).max(32).optional().openapi({ description: "Home H3 cell" }),
      status: z.enum(TECHNICIAN_STATUSES).optional(),
      limit: LimitQuery,
      cursor: CursorQuery,
    }),
  },
  responses: { 200: jsonContent(page(Technician), "A page of technicians"), ...authErrors() },
});

export const getTechnician = createRoute({
  operationId: "getTechnician",
  method: "get",
  path: "/v1/admin/technicians/{id}",
  tags: ["Technicians"],
  summary: "One technician",
  security: bearer,
  middleware: [requireRole("operator", "admin", "merchant_admin")] as const,
  request: { params: TechnicianId },
  responses: { 200: jsonContent(Technician, "The technician"), ...authErrors(404) },
});

export const patchTechnician = createRoute({
  operationId: "patchTechnician",
  method: "patch",
  path: "/v1/admin/technicians/{id}",
  tags: ["Technicians"],
  summary: "Change a technician's name, skills or service radius (operators, or its merchant's admin)",
  description:
    "Every skill must exist (400 UNKNOWN_SKILL). The home cell's copy of the profile follows at once, so dispatch uses the new skills. The home moves with POST …/move; the status with approve/reject. Audited (`technician.update`).",
  security: bearer,
  middleware: [requireRole("operator", "admin", "merchant_admin")] as const,
  request: { params: TechnicianId, body: jsonBody(PatchTechnician) },
  responses: { 200: jsonContent(Technician, "The technician"), ...authErrors(404, 413, 415) },
});

export const approveTechnician = createRoute({
  operationId: "approveTechnician",
  method: "post",
  path: "/v1/admin/technicians/{id}/approve",
  tags: ["Technicians"],
  summary: "Approve a technician (operators, or its merchant's admin)",
  description:
    "From `pending`, or from `rejected` to reconsider an applicant (a phone can be registered only once). " +
    "Every document the technician's skills require (GET /v1/admin/skill-documents) must be approved and unexpired first, " +
    "else 409 DOCUMENTS_MISSING with `missing` [{skill, kind}]. Any other status is 409 INVALID_TRANSITION. Audited.",
  security: bearer,
  middleware: [requireRole("operator", "admin", "merchant_admin")] as const,
  request: { params: TechnicianId },
  responses: { 200: jsonContent(Technician, "Approved"), ...authErrors(404, 409, 415) },
});

export const rejectTechnician = createRoute({
  operationId: "rejectTechnician",
  method: "post",
  path: "/v1/admin/technicians/{id}/reject",
  tags: ["Technicians"],
  summary: "Reject a pending technician with a reason (operators, or its merchant's admin)",
  description:
    "Only from `pending`; any other status is 409 INVALID_TRANSITION. Documents still pending are rejected with it. The reason goes to the audit log.",
  security: bearer,
  middleware: [requireRole("operator", "admin", "merchant_admin")] as const,
  request: { params: TechnicianId, body: jsonBody(RejectTechnician) },
  responses: { 200: jsonContent(Technician, "Rejected"), ...authErrors(404, 409, 413, 415) },
});
