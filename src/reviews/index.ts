/**
 * Reviews after the visit and the technician's rating.
 * The area's public surface: its routers (mounted by src/http/routes.ts) and what other areas may call.
 */
export { default as reviewsRoutes } from "./reviews.handlers";
export { technicianReviews } from "./reviews.service";
export { PublicReview } from "./reviews.routes";
