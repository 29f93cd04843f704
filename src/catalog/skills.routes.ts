import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer, errorResponses, jsonBody, jsonContent } from "../http/openapi";
import { CreateSkill, Skill } from "./catalog.schemas";

export const listSkills = createRoute({
  operationId: "listSkills",
  method: "get",
  path: "/v1/skills",
  tags: ["Catalog"],
  summary: "Skills that technicians hold and services require",
  responses: { 200: jsonContent(z.object({ items: z.array(Skill) }), "Every skill, by code"), ...errorResponses() },
});

export const createSkill = createRoute({
  operationId: "createSkill",
  method: "post",
  path: "/v1/admin/skills",
  tags: ["Catalog"],
  summary: "Add a skill (operators)",
  description: "409 SKILL_EXISTS when the code is taken.",
  security: bearer,
  middleware: [requireRole("operator", "admin")] as const,
  request: { body: jsonBody(CreateSkill) },
  responses: { 201: jsonContent(Skill, "Created"), ...authErrors(409, 413, 415) },
});
