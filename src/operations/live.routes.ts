import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer, IdParam, jsonContent } from "../http/openapi";
import { LatLngSchema } from "../catalog/cities.routes";

const staff = requireRole("operator", "admin", "merchant_admin");

const LiveCity = z
  .object({
    cityId: z.string(),
    name: z.string(),
    timeZone: z.string(),
    center: LatLngSchema,
    at: z.string().openapi({ description: "When this picture was taken" }),
    cells: z.array(
      z.object({
        id: z.string(),
        boundary: z.array(z.tuple([z.number(), z.number()])).openapi({ description: "The hexagon's corners as [lat, lng]" }),
        openOrders: z.number().int(),
        onlineTechnicians: z.number().int().openapi({ description: "Online or busy technicians homed in the cell" }),
        load: z.number().openapi({ description: "Open orders per online technician (0 = none open)" }),
      }),
    ),
    technicians: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        merchantId: z.string().nullable(),
        homeCell: z.string(),
        state: z.enum(["online", "busy", "offline"]).openapi({ description: "busy: on the way to, at or working a job" }),
        position: LatLngSchema,
        located: z.enum(["reported", "home"]).openapi({ description: "reported: last position sent; home: never reported" }),
        heading: z.number().nullable(),
        battery: z.number().nullable(),
        rating: z.number(),
        skills: z.array(z.string()),
        lastSeenAt: z.string().nullable(),
      }),
    ),
    orders: z.array(
      z.object({
        id: z.string(),
        status: z.string(),
        serviceId: z.string(),
        merchantId: z.string().nullable(),
        technicianId: z.string().nullable(),
        cell: z.string(),
        position: LatLngSchema.openapi({
          description: "The order's area, rounded to 0.01° (about 1 km); reveal the contact for the exact address",
        }),
        start: z.string(),
        exception: z.string().nullable(),
      }),
    ),
  })
  .openapi("LiveCity");

export const live = createRoute({
  operationId: "getCityLive",
  method: "get",
  path: "/v1/admin/cities/{id}/live",
  tags: ["Operations"],
  summary: "The live city: cells with their load, technicians with presence and state, open orders",
  description:
    "For the dashboard map; poll it every few seconds. Presence comes from each home cell's Durable Object. A merchant_admin sees only its own technicians and orders. Open orders starting from 12 hours ago to `hours` ahead are included.",
  security: bearer,
  middleware: [staff] as const,
  request: {
    params: IdParam("id", "cty_demoShanghai"),
    query: z.object({ hours: z.coerce.number().int().min(1).max(336).default(48).openapi({ description: "Look-ahead in hours" }) }),
  },
  responses: { 200: jsonContent(LiveCity, "The city now"), ...authErrors(404) },
});

export const dispatchSettings = createRoute({
  operationId: "getDispatchSettings",
  method: "get",
  path: "/v1/admin/settings/dispatch",
  tags: ["Operations"],
  summary: "The dispatch settings in force (deadlines, rounds, weights, travel model)",
  description: "Read-only: they are Worker variables (wrangler.toml `[vars]`) and change with a deploy.",
  security: bearer,
  middleware: [staff] as const,
  responses: {
    200: jsonContent(
      z
        .object({
          weights: z.record(z.string(), z.number()),
          acceptDeadlineSeconds: z.number(),
          grabDeadlineSeconds: z.number(),
          enRouteLeadMinutes: z.number(),
          holdTtlSeconds: z.number(),
          maxRounds: z.number(),
          candidatesKept: z.number(),
          availabilityRing: z.number(),
          travel: z.object({ roadFactor: z.number(), speedKmh: z.number(), bufferMinutes: z.number() }),
          presenceTimeoutSeconds: z.number(),
          geofenceMeters: z.number(),
          h3Resolution: z.number(),
        })
        .openapi("DispatchSettings"),
      "Settings",
    ),
    ...authErrors(),
  },
});
