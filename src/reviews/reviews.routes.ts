import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth, requireRole } from "../http/auth";
import { MAX_REVIEW_PHOTOS } from "./reviews.service";
import { authErrors, bearer, CursorQuery, errorResponses, IdParam, jsonBody, jsonContent, LimitQuery, page } from "../http/openapi";
import { imageContent, photoBodyLimit } from "../visit/photos.routes";
import { OrderParam } from "../visit/visit.schemas";

const customer = requireRole("customer");
const staff = requireRole("operator", "admin", "merchant_admin");
const platform = requireRole("operator", "admin");

const Score = z.number().int().min(1).max(5);

export const Ratings = z
  .object({ quality: Score, punctuality: Score, attitude: Score, value: Score })
  .strict()
  .openapi("ReviewRatings", { description: "Each 1–5" });

const ReviewPhoto = z.object({ id: z.string(), url: z.string() });

export const Review = z
  .object({
    id: z.string(),
    orderId: z.string(),
    technicianId: z.string(),
    serviceId: z.string(),
    ratings: Ratings,
    overall: z.number().openapi({ description: "Mean of the four ratings, e.g. 4.75" }),
    text: z.string().nullable(),
    photos: z.array(ReviewPhoto),
    hidden: z.boolean(),
    hiddenReason: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("Review");

export const PublicReview = z
  .object({
    id: z.string(),
    serviceId: z.string(),
    ratings: Ratings,
    overall: z.number(),
    text: z.string().nullable(),
    photos: z.array(ReviewPhoto),
    customer: z.string().openapi({ description: "Masked, e.g. 张**" }),
    createdAt: z.string(),
  })
  .openapi("PublicReview");

export const create = createRoute({
  operationId: "createReview",
  method: "post",
  path: "/v1/orders/{id}/review",
  tags: ["Reviews"],
  summary: "Review my completed order (once)",
  description: `Ratings 1–5 in four dimensions, optional text (up to 1000 characters) and up to ${MAX_REVIEW_PHOTOS} photos uploaded first to \`/v1/orders/{id}/review/photos\`. Only once the visit is completed (409 INVALID_STATE), once per order (409 ALREADY_REVIEWED), within REVIEW_WINDOW_DAYS of completion (409 REVIEW_WINDOW_CLOSED). The technician's rating takes the review at once.`,
  security: bearer,
  middleware: [customer] as const,
  request: {
    params: OrderParam,
    body: jsonBody(
      z
        .object({
          ratings: Ratings,
          text: z.string().max(1000).optional(),
          photoIds: z.array(z.string().min(1).max(64)).max(MAX_REVIEW_PHOTOS).optional(),
        })
        .strict(),
    ),
  },
  responses: { 201: jsonContent(Review, "Reviewed"), ...authErrors(404, 409, 413, 415) },
});

export const get = createRoute({
  operationId: "getOrderReview",
  method: "get",
  path: "/v1/orders/{id}/review",
  tags: ["Reviews"],
  summary: "An order's review (its customer, its technician, staff)",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: OrderParam },
  responses: { 200: jsonContent(Review, "The review"), ...authErrors(404) },
});

export const uploadPhoto = createRoute({
  operationId: "uploadReviewPhoto",
  method: "post",
  path: "/v1/orders/{id}/review/photos",
  tags: ["Reviews"],
  summary: "Upload a photo for my coming review of a completed order (raw image body)",
  description: `The body is the image (image/jpeg, image/png or image/webp, at most 5 MB). While the order is completed and not reviewed yet; at most ${MAX_REVIEW_PHOTOS} (409 PHOTO_LIMIT).`,
  security: bearer,
  middleware: [customer, photoBodyLimit] as const,
  request: { params: OrderParam, body: { required: true, content: imageContent } },
  responses: {
    201: jsonContent(
      z.object({
        id: z.string(),
        orderId: z.string(),
        kind: z.literal("review"),
        contentType: z.string(),
        size: z.number().int(),
        createdAt: z.string(),
      }),
      "Stored; name it in the review's photoIds",
    ),
    ...authErrors(404, 409, 413, 415),
  },
});

export const photo = createRoute({
  operationId: "getReviewPhoto",
  method: "get",
  path: "/v1/reviews/{id}/photos/{photoId}",
  tags: ["Reviews"],
  summary: "A photo of a visible review: the image bytes (public)",
  request: { params: IdParam("id", "rev_01JD3").merge(IdParam("photoId", "pho_01JD3")) },
  responses: { 200: { description: "The image", content: imageContent }, ...errorResponses(404) },
});

export const ofTechnician = createRoute({
  operationId: "listTechnicianReviews",
  method: "get",
  path: "/v1/technicians/{id}/reviews",
  tags: ["Reviews"],
  summary: "A technician's visible reviews and rating, newest first (public)",
  request: { params: IdParam("id", "tch_01JD3"), query: z.object({ limit: LimitQuery, cursor: CursorQuery }) },
  responses: {
    200: jsonContent(
      page(PublicReview).extend({ technician: z.object({ id: z.string(), name: z.string(), rating: z.number() }) }),
      "Reviews",
    ),
    ...errorResponses(404),
  },
});

export const list = createRoute({
  operationId: "listAdminReviews",
  method: "get",
  path: "/v1/admin/reviews",
  tags: ["Reviews"],
  summary: "Reviews, newest first, by technician and overall score (a merchant_admin sees its merchant's)",
  security: bearer,
  middleware: [staff] as const,
  request: {
    query: z.object({
      technicianId: z.string().max(64).optional(),
      minOverall: z.coerce.number().min(1).max(5).optional(),
      maxOverall: z.coerce.number().min(1).max(5).optional(),
      limit: LimitQuery,
      cursor: CursorQuery,
    }),
  },
  responses: { 200: jsonContent(page(Review.extend({ customer: z.string() })), "Reviews"), ...authErrors() },
});

export const hide = createRoute({
  operationId: "hideReview",
  method: "post",
  path: "/v1/admin/reviews/{id}/hide",
  tags: ["Reviews"],
  summary: "Hide a review (abuse, personal data): out of public lists and the technician's rating (audited)",
  description:
    "The review's rating fact is taken out of the technician's credit score too: a history line RATING_HIDDEN with the opposite points (once, also for two hides at once; the loser gets 409 ALREADY_HIDDEN).",
  security: bearer,
  middleware: [platform] as const,
  request: { params: IdParam("id", "rev_01JD3"), body: jsonBody(z.object({ reason: z.string().trim().min(1).max(200) }).strict()) },
  responses: { 200: jsonContent(Review, "Hidden"), ...authErrors(404, 409, 413, 415) },
});

export const unhide = createRoute({
  operationId: "unhideReview",
  method: "post",
  path: "/v1/admin/reviews/{id}/unhide",
  tags: ["Reviews"],
  summary: "Show a hidden review again: back in public lists, the rating and the credit score (audited)",
  description:
    "A history line RATING_RESTORED puts back the points the hide took from the technician's credit score (once, also for two at once). 409 REVIEW_NOT_HIDDEN when the review is visible.",
  security: bearer,
  middleware: [platform] as const,
  request: { params: IdParam("id", "rev_01JD3"), body: jsonBody(z.object({ reason: z.string().trim().min(1).max(200) }).strict()) },
  responses: { 200: jsonContent(Review, "Shown"), ...authErrors(404, 409, 413, 415) },
});
