import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer, errorResponses, jsonBody, jsonContent } from "../http/openapi";
import { Category, CategoryNode, CreateCategory, IdPath, PatchCategory } from "./catalog.schemas";

const operators = requireRole("operator", "admin");
const CategoryId = IdPath("cat_01JD3Q8Z6X9V4M2K7T5R1N0PAB");

export const categoryTree = createRoute({
  operationId: "getCategoryTree",
  method: "get",
  path: "/v1/categories",
  tags: ["Catalog"],
  summary: "The category tree",
  responses: {
    200: jsonContent(z.object({ items: z.array(CategoryNode) }), "Top-level categories with their subcategories"),
    ...errorResponses(),
  },
});

export const createCategory = createRoute({
  operationId: "createCategory",
  method: "post",
  path: "/v1/admin/categories",
  tags: ["Catalog"],
  summary: "Add a category (operators)",
  description: "400 UNKNOWN_CATEGORY when parentId names no category.",
  security: bearer,
  middleware: [operators] as const,
  request: { body: jsonBody(CreateCategory) },
  responses: { 201: jsonContent(Category, "Created"), ...authErrors(413, 415) },
});

export const patchCategory = createRoute({
  operationId: "patchCategory",
  method: "patch",
  path: "/v1/admin/categories/{id}",
  tags: ["Catalog"],
  summary: "Rename, re-sort or move a category (operators)",
  description: "400 UNKNOWN_CATEGORY for an unknown parent, 400 CATEGORY_CYCLE when moving it under itself or a descendant.",
  security: bearer,
  middleware: [operators] as const,
  request: { params: CategoryId, body: jsonBody(PatchCategory) },
  responses: { 200: jsonContent(Category, "The category"), ...authErrors(404, 413, 415) },
});

export const deleteCategory = createRoute({
  operationId: "deleteCategory",
  method: "delete",
  path: "/v1/admin/categories/{id}",
  tags: ["Catalog"],
  summary: "Delete a category (operators)",
  description: "409 CATEGORY_IN_USE while it has subcategories or services (deleted services included: they keep their history).",
  security: bearer,
  middleware: [operators] as const,
  request: { params: CategoryId },
  responses: { 204: { description: "Deleted" }, ...authErrors(404, 409) },
});
