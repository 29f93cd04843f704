import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer, IdParam, jsonBody, jsonContent } from "../http/openapi";
import { LatLngSchema } from "../catalog/cities.routes";
import { DispatchWeightsInput } from "../dispatch";

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
        surge: z.enum(["normal", "surging"]).openapi({ description: "The cell's surge state (GET /v1/admin/surge)" }),
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
  description:
    "The weights are DISPATCH_WEIGHTS unless operators changed them (PUT /v1/admin/settings/dispatch/weights; `weightsSource` says which, `deploymentWeights` are the variable's). The rest are Worker variables (wrangler.toml `[vars]`) and change with a deploy.",
  security: bearer,
  middleware: [staff] as const,
  responses: {
    200: jsonContent(
      z
        .object({
          weights: z.record(z.string(), z.number()),
          weightsSource: z.enum(["setting", "deployment"]).openapi({ description: "setting: changed from the dashboard" }),
          weightsUpdatedAt: z.string().nullable(),
          deploymentWeights: z.record(z.string(), z.number()).openapi({ description: "DISPATCH_WEIGHTS, in force when no setting is" }),
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

const WeightsInForce = z
  .object({
    weights: DispatchWeightsInput,
    source: z.enum(["setting", "deployment"]),
    updatedAt: z.string().nullable(),
    updatedBy: z.string().nullable(),
  })
  .openapi("DispatchWeightsInForce");

const platform = requireRole("operator", "admin");

export const putDispatchWeights = createRoute({
  operationId: "putDispatchWeights",
  method: "put",
  path: "/v1/admin/settings/dispatch/weights",
  tags: ["Operations"],
  summary: "Change the dispatch weights (operators)",
  description:
    "Every weight from 0 to 1 (travel, rating, load, fairness, acceptance, favourite); 400 DISPATCH_WEIGHTS_EMPTY when all are 0. They replace DISPATCH_WEIGHTS for automatic and batched dispatch until cleared; every isolate uses them within 30 seconds. Audited with the weights before and after.",
  security: bearer,
  middleware: [platform] as const,
  request: { body: jsonBody(DispatchWeightsInput) },
  responses: { 200: jsonContent(WeightsInForce, "The weights in force"), ...authErrors(413, 415) },
});

export const clearDispatchWeights = createRoute({
  operationId: "clearDispatchWeights",
  method: "delete",
  path: "/v1/admin/settings/dispatch/weights",
  tags: ["Operations"],
  summary: "Go back to the deployment's dispatch weights (operators)",
  description: "Clears the dashboard's weights: DISPATCH_WEIGHTS applies again (within 30 seconds everywhere). Audited.",
  security: bearer,
  middleware: [platform] as const,
  responses: { 200: jsonContent(WeightsInForce, "The weights in force"), ...authErrors() },
});
