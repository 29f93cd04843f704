import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer, jsonContent } from "../http/openapi";
import { LatLngSchema } from "../catalog/cities.routes";

const staff = requireRole("operator", "admin", "merchant_admin");

const SearchHit = z
  .object({
    kind: z.enum(["order", "technician"]),
    id: z.string(),
    label: z.string().openapi({ description: "The order's id, or the technician's name" }),
    status: z.string(),
    cityId: z.string(),
    cell: z.string().openapi({ description: "The order's cell, or the technician's home cell" }),
    position: LatLngSchema.nullable().openapi({ description: "An order's area (about 1 km); null for a technician" }),
    start: z.string().nullable(),
  })
  .openapi("SearchHit");

export const search = createRoute({
  operationId: "searchOperations",
  method: "get",
  path: "/v1/admin/search",
  tags: ["Operations"],
  summary: "Find an order or a technician: by order id, technician id or name, or phone number (exact)",
  description:
    "`q` = `ord_…`: that order; `tch_…`: that technician; a phone number (E.164 or an 11-digit mainland number): the technician with that number and the customer's 10 most recent orders — exact match only, and every phone search is audited (`search.phone`, with the caller and the masked number); anything else: technicians whose name contains it (at most 10). A merchant admin finds only its own merchant's orders and technicians.",
  security: bearer,
  middleware: [staff] as const,
  request: {
    query: z.object({ q: z.string().trim().min(1).max(64).openapi({ description: "Order id, technician id or name, or phone number" }) }),
  },
  responses: {
    200: jsonContent(
      z.object({ match: z.enum(["phone", "id", "name"]), items: z.array(SearchHit) }).openapi("SearchResult"),
      "What was found",
    ),
    ...authErrors(),
  },
});
