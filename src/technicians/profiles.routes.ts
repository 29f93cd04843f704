import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth, requireRole } from "../http/auth";
import { authErrors, bearer, CursorQuery, IdParam, jsonBody, jsonContent, LimitQuery, LocalizedSchema, page } from "../http/openapi";
import { PublicReview } from "../reviews/reviews.routes";
import { imageContent, photoBodyLimit } from "../visit/photos.routes";
import { OrderParam } from "../visit/visit.schemas";
import { PROFILE_CASES, PROFILE_REVIEWS } from "./profiles.service";
import { SEARCH_MAX_RESULTS } from "./search.service";

const signedIn = requireAuth;
const technician = requireRole("technician");
const customer = requireRole("customer");
const platform = requireRole("operator", "admin");

const Label = LocalizedSchema.openapi({ description: "zh-CN and en text" });

export const ProfileSummary = z
  .object({
    id: z.string(),
    name: z.string().openapi({ description: "Masked: only the last character, e.g. **明", example: "**明" }),
    photoUrl: z.string().nullable().openapi({ description: "The profile photo (signed-in callers), null when none" }),
    level: z.object({
      code: z.enum(["trainee", "standard", "gold", "diamond"]),
      label: Label.openapi({ description: "见习/标准/金牌/钻石 — Trainee/Standard/Gold/Diamond" }),
    }),
    skills: z.array(Label).openapi({ description: "Skill names, not codes" }),
    rating: z.object({ average: z.number().openapi({ example: 4.75 }), count: z.number().int() }),
    completedJobs: z.number().int().openapi({ description: "Orders carried to completion (also those later in after-sales or refunded)" }),
  })
  .openapi("TechnicianSummary");

const PublicCase = z.object({
  id: z.string(),
  caption: z.string().nullable(),
  before: z.object({ url: z.string() }),
  after: z.object({ url: z.string() }),
  createdAt: z.string(),
});

export const StaffCase = PublicCase.extend({
  orderId: z.string(),
  consent: z.enum(["pending", "granted", "refused", "revoked"]),
  consentAt: z.string().nullable(),
  hidden: z.boolean(),
  hiddenReason: z.string().nullable(),
}).openapi("TechnicianCase");

export const PublicProfile = ProfileSummary.extend({
  rating: z.object({
    average: z.number(),
    count: z.number().int().openapi({ description: "Visible ratings (hidden reviews are out)" }),
    breakdown: z
      .object({ "1": z.number().int(), "2": z.number().int(), "3": z.number().int(), "4": z.number().int(), "5": z.number().int() })
      .openapi({ description: "Visible reviews per star: a review's overall score rounded half up (4.5 → 5, 4.25 → 4)" }),
  }),
  reviews: page(PublicReview).openapi({
    description: `The newest ${PROFILE_REVIEWS} visible reviews; page on with GET /v1/technicians/{id}/reviews?cursor=nextCursor`,
  }),
  cases: z
    .array(PublicCase)
    .openapi({ description: `Up to ${PROFILE_CASES} newest cases the customer consented to and staff did not hide` }),
}).openapi("TechnicianProfile");

const TechId = IdParam("id", "tch_01JD3");

export const profile = createRoute({
  operationId: "getTechnicianProfile",
  method: "get",
  path: "/v1/technicians/{id}/profile",
  tags: ["Technicians"],
  summary: "A technician's public profile (any signed-in account)",
  description:
    "Masked name, photo, level, skill names, rating with its breakdown per star, completed jobs, the newest visible reviews and the case showcase. " +
    "No phone, home, account, merchant or full name. Only approved technicians have one: pending, rejected and suspended are 404. " +
    "Needs a signed-in account (anonymous 401): the showcase shows customers' homes, shared with the platform's users only; the review list alone stays public.",
  security: bearer,
  middleware: [signedIn] as const,
  request: { params: TechId },
  responses: { 200: jsonContent(PublicProfile, "The profile"), ...authErrors(404) },
});

export const photo = createRoute({
  operationId: "getTechnicianPhoto",
  method: "get",
  path: "/v1/technicians/{id}/photo",
  tags: ["Technicians"],
  summary: "A technician's profile photo (signed-in accounts; 404 unless the profile is public)",
  security: bearer,
  middleware: [signedIn] as const,
  request: { params: TechId, query: z.object({ v: z.string().max(64).optional().openapi({ description: "Version, for caches" }) }) },
  responses: { 200: { description: "The image", content: imageContent }, ...authErrors(404) },
});

export const casePhoto = createRoute({
  operationId: "getTechnicianCasePhoto",
  method: "get",
  path: "/v1/technicians/{id}/cases/{caseId}/photos/{which}",
  tags: ["Technicians"],
  summary: "A case's before or after photo (signed-in accounts)",
  description:
    "Only while the order's customer consents, staff have not hidden the case and the profile is public; 404 from the moment consent is withdrawn (served `no-store`).",
  security: bearer,
  middleware: [signedIn] as const,
  request: {
    params: TechId.merge(IdParam("caseId", "cas_01JD3")).extend({
      which: z.enum(["before", "after"]).openapi({ param: { name: "which", in: "path" } }),
    }),
  },
  responses: { 200: { description: "The image", content: imageContent }, ...authErrors(404) },
});

export const search = createRoute({
  operationId: "searchTechnicians",
  method: "get",
  path: "/v1/technicians/search",
  tags: ["Booking"],
  summary: "Technicians near a point who are free for a service on a local date, to choose one",
  description:
    `Technicians homed in the point's cell and its ring who are qualified, within their service radius and free for the whole job (travel included) at one or more start times of the date, with their profile summaries and those start times. ` +
    `Ranked by distance from the point to the technician's home area (~1 km; in whole kilometres, nearest first), then rating (highest first), then number of ratings, then id. ` +
    `At most \`limit\` (≤ ${SEARCH_MAX_RESULTS}). Each cell is asked once for all its technicians. Book one with \`technicianId\` on POST /v1/orders (chosen dispatch). ` +
    "404 SERVICE_NOT_OFFERED when the service is not offered at the point.",
  security: bearer,
  middleware: [signedIn] as const,
  request: {
    query: z.object({
      serviceId: z.string().min(1).max(64),
      lat: z.coerce.number().min(-90).max(90),
      lng: z.coerce.number().min(-180).max(180),
      date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "YYYY-MM-DD"),
      units: z.coerce.number().int().min(1).max(100).optional(),
      limit: z.coerce.number().int().min(1).max(SEARCH_MAX_RESULTS).default(10),
    }),
  },
  responses: {
    200: jsonContent(
      z.object({
        timeZone: z.string(),
        date: z.string(),
        serviceId: z.string(),
        durationMinutes: z.number().int(),
        ranking: z.string(),
        items: z.array(
          z.object({
            technician: ProfileSummary,
            distanceKm: z.number().openapi({ description: "To the technician's home area (~1 km), one decimal" }),
            slots: z.array(z.object({ start: z.string(), end: z.string() })),
          }),
        ),
      }),
      "Technicians, best first",
    ),
    ...authErrors(404),
  },
});

export const uploadPhoto = createRoute({
  operationId: "uploadTechnicianProfilePhoto",
  method: "post",
  path: "/v1/technician/profile/photos",
  tags: ["Technicians"],
  summary: "Upload my profile photo (raw image body; replaces the previous one)",
  description: "image/jpeg, image/png or image/webp, at most 5 MB, checked like visit photos (415, 413, 400 PHOTO_INVALID).",
  security: bearer,
  middleware: [technician, photoBodyLimit] as const,
  request: { body: { required: true, content: imageContent } },
  responses: { 201: jsonContent(z.object({ photoUrl: z.string() }), "Stored"), ...authErrors(404, 413, 415) },
});

export const proposeCase = createRoute({
  operationId: "proposeTechnicianCase",
  method: "post",
  path: "/v1/technician/cases",
  tags: ["Technicians"],
  summary: "Show one of my completed visits as a case (before/after), pending the customer's consent",
  description:
    "`beforePhotoId` is one of my arrival photos of the order, `afterPhotoId` one of my completion photos (400 otherwise). The order must be mine and completed (409 INVALID_STATE). " +
    "Shown nowhere until the order's customer grants consent (PUT /v1/orders/{id}/case/consent). One case per order (409 CASE_EXISTS).",
  security: bearer,
  middleware: [technician] as const,
  request: {
    body: jsonBody(
      z
        .object({
          orderId: z.string().min(1).max(64),
          beforePhotoId: z.string().min(1).max(64),
          afterPhotoId: z.string().min(1).max(64),
          caption: z.string().max(200).optional(),
        })
        .strict(),
    ),
  },
  responses: { 201: jsonContent(StaffCase, "Proposed"), ...authErrors(404, 409, 413, 415) },
});

export const ownCases = createRoute({
  operationId: "listOwnTechnicianCases",
  method: "get",
  path: "/v1/technician/cases",
  tags: ["Technicians"],
  summary: "My cases with their consent and moderation",
  security: bearer,
  middleware: [technician] as const,
  request: { query: z.object({ limit: LimitQuery, cursor: CursorQuery }) },
  responses: { 200: jsonContent(page(StaffCase), "Cases"), ...authErrors(404) },
});

export const withdrawCase = createRoute({
  operationId: "withdrawTechnicianCase",
  method: "delete",
  path: "/v1/technician/cases/{id}",
  tags: ["Technicians"],
  summary: "Withdraw one of my cases",
  security: bearer,
  middleware: [technician] as const,
  request: { params: IdParam("id", "cas_01JD3") },
  responses: { 204: { description: "Withdrawn" }, ...authErrors(404) },
});

export const orderCase = createRoute({
  operationId: "getOrderCase",
  method: "get",
  path: "/v1/orders/{id}/case",
  tags: ["Technicians"],
  summary: "The case my technician proposed from my order, and my consent (customer)",
  security: bearer,
  middleware: [customer] as const,
  request: { params: OrderParam },
  responses: { 200: jsonContent(StaffCase, "The case"), ...authErrors(404) },
});

export const consent = createRoute({
  operationId: "decideOrderCaseConsent",
  method: "put",
  path: "/v1/orders/{id}/case/consent",
  tags: ["Technicians"],
  summary: "Grant or withdraw consent to show my order as a case (customer; revocable at any time)",
  description:
    "`granted: true` shows the case on the technician's profile; `false` refuses it, or revokes an earlier grant: it leaves the profile and its photos answer 404 at once. Audited.",
  security: bearer,
  middleware: [customer] as const,
  request: { params: OrderParam, body: jsonBody(z.object({ granted: z.boolean() }).strict()) },
  responses: { 200: jsonContent(StaffCase, "The case"), ...authErrors(404, 413, 415) },
});

export const preview = createRoute({
  operationId: "previewTechnicianProfile",
  method: "get",
  path: "/v1/admin/technicians/{id}/profile",
  tags: ["Technicians"],
  summary: "A technician's public profile as customers see it, and every case with consent and moderation (operators)",
  description: "`public` is null while the technician has no public profile (not approved, or suspended); `status` says which.",
  security: bearer,
  middleware: [platform] as const,
  request: { params: TechId, query: z.object({ limit: LimitQuery, cursor: CursorQuery }) },
  responses: {
    200: jsonContent(
      z.object({
        technicianId: z.string(),
        status: z.enum(["pending", "approved", "rejected", "suspended"]),
        public: PublicProfile.nullable(),
        cases: page(StaffCase),
      }),
      "The preview",
    ),
    ...authErrors(404),
  },
});

export const hideCase = createRoute({
  operationId: "hideTechnicianCase",
  method: "post",
  path: "/v1/admin/technician-cases/{id}/hide",
  tags: ["Technicians"],
  summary: "Hide a case from the showcase (operators; audited)",
  description: "Off the profile at once; 409 CASE_ALREADY_HIDDEN when it is hidden already.",
  security: bearer,
  middleware: [platform] as const,
  request: { params: IdParam("id", "cas_01JD3"), body: jsonBody(z.object({ reason: z.string().trim().min(1).max(200) }).strict()) },
  responses: { 200: jsonContent(StaffCase, "Hidden"), ...authErrors(404, 409, 413, 415) },
});

const UnhideBody = z.object({ reason: z.string().trim().min(1).max(200) }).strict();

export const unhideCase = createRoute({
  operationId: "unhideTechnicianCase",
  method: "post",
  path: "/v1/admin/technician-cases/{id}/unhide",
  tags: ["Technicians"],
  summary: "Show a hidden case again (operators; audited)",
  description: "Back on the profile at once while the customer's consent holds; 409 CASE_NOT_HIDDEN when it is not hidden.",
  security: bearer,
  middleware: [platform] as const,
  request: { params: IdParam("id", "cas_01JD3"), body: jsonBody(UnhideBody) },
  responses: { 200: jsonContent(StaffCase, "Shown"), ...authErrors(404, 409, 413, 415) },
});

export const unhideOwnCase = createRoute({
  operationId: "unhideOwnTechnicianCase",
  method: "post",
  path: "/v1/technician/cases/{id}/unhide",
  tags: ["Technicians"],
  summary: "Show my hidden case again (audited)",
  description:
    "The case's technician asks for it back on the profile (e.g. after replacing a photo staff objected to); shown while the customer's consent holds. 404 for another technician's case, 409 CASE_NOT_HIDDEN when it is not hidden.",
  security: bearer,
  middleware: [technician] as const,
  request: { params: IdParam("id", "cas_01JD3"), body: jsonBody(UnhideBody) },
  responses: { 200: jsonContent(StaffCase, "Shown"), ...authErrors(404, 409, 413, 415) },
});
