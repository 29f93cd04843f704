import { createRoute, z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { requireAuth, requireRole } from "../http/auth";
import { PHOTO_MAX_BYTES, photoTooLarge } from "./photos.service";
import { authErrors, bearer, CursorQuery, jsonContent, LimitQuery, page } from "../http/openapi";
import { OrderParam, Photo, PhotoKind, PhotoParam, TaskParam } from "./visit.schemas";

const Binary = z.string().openapi({ type: "string", format: "binary" });
export const imageContent = {
  "image/jpeg": { schema: Binary },
  "image/png": { schema: Binary },
  "image/webp": { schema: Binary },
};

// The app-wide JSON body limit skips photo uploads; this is theirs.
export const photoBodyLimit = bodyLimit({
  maxSize: PHOTO_MAX_BYTES,
  onError: () => {
    throw photoTooLarge();
  },
});

export const uploadPhoto = createRoute({
  operationId: "uploadVisitPhoto",
  method: "post",
  path: "/v1/technician/tasks/{orderId}/photos",
  tags: ["Visit"],
  summary: "Upload a check-in or completion photo of my job (raw image body)",
  description:
    "The body is the image itself: `Content-Type` image/jpeg, image/png or image/webp (else 415), at most 5 MB (else 413 PHOTO_TOO_LARGE), and its bytes must be that format (else 400 PHOTO_INVALID). `kind=arrive` while en_route or arrived; `kind=complete` while arrived or in_service (else 409 INVALID_STATE); at most 10 of a kind per technician (409 PHOTO_LIMIT). Arriving needs an arrive photo, completing a complete photo, taken by the technician who does it (409 PHOTO_REQUIRED).",
  security: bearer,
  middleware: [requireRole("technician"), photoBodyLimit] as const,
  request: {
    params: TaskParam,
    query: z.object({ kind: PhotoKind }),
    body: { required: true, content: imageContent },
  },
  responses: { 201: jsonContent(Photo, "Stored"), ...authErrors(404, 409, 413, 415) },
});

export const listPhotos = createRoute({
  operationId: "listOrderPhotos",
  method: "get",
  path: "/v1/orders/{id}/photos",
  tags: ["Visit"],
  summary: "The photos of an order (its customer, its technician, staff)",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: OrderParam, query: z.object({ limit: LimitQuery, cursor: CursorQuery }) },
  responses: { 200: jsonContent(page(Photo), "Photos, oldest first"), ...authErrors(404) },
});

export const getPhoto = createRoute({
  operationId: "getOrderPhoto",
  method: "get",
  path: "/v1/orders/{id}/photos/{photoId}",
  tags: ["Visit"],
  summary: "One photo of an order: the image bytes",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: PhotoParam },
  responses: { 200: { description: "The image", content: imageContent }, ...authErrors(404) },
});
