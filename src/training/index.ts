/**
 * Training and exams: courses, lessons and progress; question banks, exams, graded attempts and
 * certifications; the certification rule dispatch applies to skills (`skillsDispatchMayOffer`).
 * The area's public surface: its routers (mounted by src/http/routes.ts) and what other areas may call.
 */
export { default as trainingRoutes } from "./training.handlers";
export { skillsDispatchMayOffer, type SkilledTechnician } from "./eligibility";
export { lapseCertifications } from "./training.service";
