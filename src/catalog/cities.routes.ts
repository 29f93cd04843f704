import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer, errorResponses, IdParam, jsonBody, jsonContent } from "../http/openapi";

export const LatLngSchema = z
  .object({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) })
  .strict()
  .openapi("LatLng", { example: { lat: 31.2304, lng: 121.4737 } });

export const City = z
  .object({
    id: z.string(),
    name: z.string(),
    timeZone: z.string().openapi({ example: "Asia/Shanghai" }),
    center: LatLngSchema,
    radiusKm: z.number(),
    resolution: z.number().int(),
    cells: z.array(z.string()).openapi({ description: "H3 cells the city covers" }),
  })
  .openapi("City");

export const CreateCity = z
  .object({
    name: z.string().trim().min(1).max(60),
    timeZone: z.string().min(1).max(64),
    center: LatLngSchema,
    radiusKm: z.number().positive().max(200),
  })
  .strict()
  .openapi("CreateCity");

export const PatchCity = z
  .object({ name: z.string().trim().min(1).max(60) })
  .strict()
  .openapi("PatchCity");

export const listCities = createRoute({
  operationId: "listCities",
  method: "get",
  path: "/v1/cities",
  tags: ["Cities"],
  summary: "Cities served, with their time zone and H3 cells",
  responses: { 200: jsonContent(z.object({ items: z.array(City) }), "Cities"), ...errorResponses() },
});

export const createCity = createRoute({
  operationId: "createCity",
  method: "post",
  path: "/v1/admin/cities",
  tags: ["Cities"],
  summary: "Create a city (operators)",
  description:
    "Covers the H3 cells within radiusKm of the centre at H3_RESOLUTION. 409 CITY_OVERLAP when a cell already belongs to a city.",
  security: bearer,
  middleware: [requireRole("operator", "admin")] as const,
  request: { body: jsonBody(CreateCity) },
  responses: { 201: jsonContent(City, "Created"), ...authErrors(409, 413, 415) },
});

export const patchCity = createRoute({
  operationId: "patchCity",
  method: "patch",
  path: "/v1/admin/cities/{id}",
  tags: ["Cities"],
  summary: "Rename a city (operators)",
  description:
    "Only the name: the cells, centre and time zone stay (calendars, orders and shifts are kept in the city's time zone; a different area is a new city). Audited (`city.update`).",
  security: bearer,
  middleware: [requireRole("operator", "admin")] as const,
  request: { params: IdParam("id", "cty_demoShanghai"), body: jsonBody(PatchCity) },
  responses: { 200: jsonContent(City, "The city"), ...authErrors(404, 413, 415) },
});
