import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer, errorResponses, jsonBody, jsonContent } from "../http/openapi";
import { CreateSkill, PatchSkill, Skill, SkillCodePath } from "./catalog.schemas";

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
  description: "409 SKILL_EXISTS when the code is taken. Audited (`skill.create`).",
  security: bearer,
  middleware: [requireRole("operator", "admin")] as const,
  request: { body: jsonBody(CreateSkill) },
  responses: { 201: jsonContent(Skill, "Created"), ...authErrors(409, 413, 415) },
});

export const patchSkill = createRoute({
  operationId: "patchSkill",
  method: "patch",
  path: "/v1/admin/skills/{code}",
  tags: ["Catalog"],
  summary: "Rename a skill (operators)",
  description: "The code never changes (technicians and services refer to it). Audited (`skill.update`).",
  security: bearer,
  middleware: [requireRole("operator", "admin")] as const,
  request: { params: SkillCodePath, body: jsonBody(PatchSkill) },
  responses: { 200: jsonContent(Skill, "The skill"), ...authErrors(404, 413, 415) },
});
