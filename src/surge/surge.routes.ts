import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer, IdParam, jsonBody, jsonContent } from "../http/openapi";

const platform = requireRole("operator", "admin");
const staff = requireRole("operator", "admin", "merchant_admin");

const State = z.enum(["normal", "surging"]);
const Figures = {
  demand: z.number().int().openapi({ description: "Demand in the cell's window: holds placed and searches that found nobody" }),
  supply: z.number().int().openapi({ description: "Technicians homed in the cell, online and not on a job" }),
  ratio: z.number().openapi({ description: "Demand per free technician (with nobody free: the demand)" }),
};

const SurgeOverview = z
  .object({
    cityId: z.string(),
    timeZone: z.string(),
    cells: z.array(z.object({ cell: z.string(), state: State, since: z.string(), ...Figures })).openapi({
      description: "Each cell that ever reported a surge state; a cell not listed is normal",
    }),
    changes: z.array(z.object({ cell: z.string(), from: State, to: State, at: z.string(), ...Figures })).openapi({
      description: "State changes of the last 24 hours, newest first (at most 200)",
    }),
  })
  .openapi("SurgeOverview");

export const surgeOverview = createRoute({
  operationId: "getSurge",
  method: "get",
  path: "/v1/admin/surge",
  tags: ["Operations"],
  summary: "Surge states of a city's cells and their recent changes",
  description:
    "Each cell counts its demand and compares it with its free technicians (docs/surge-forecasts.md); a change of state is recorded here and alerts the operators when a cell starts surging.",
  security: bearer,
  middleware: [platform] as const,
  request: { query: z.object({ cityId: z.string().min(1).max(64).openapi({ example: "cty_demoShanghai" }) }) },
  responses: { 200: jsonContent(SurgeOverview, "The city's surge states"), ...authErrors(404) },
});

const PricingInput = z
  .object({
    enabled: z.boolean().openapi({ description: "Adds the surge line to quotes in surging cells" }),
    percent: z.number().int().min(0).max(100).openapi({ description: "Percent of the subtotal (at most SURGE_PRICE_MAX_PERCENT)" }),
    maxAmount: z.number().int().min(0).openapi({ description: "The most the line adds, minor units (at most SURGE_PRICE_MAX_AMOUNT)" }),
  })
  .strict();

const NotifyInput = z
  .object({
    enabled: z.boolean().openapi({ description: "Tells technicians with the skills in demand when a cell starts surging" }),
    ring: z
      .number()
      .int()
      .min(0)
      .max(3)
      .openapi({ description: "Rings of neighbouring cells whose technicians are told (0: the cell alone)" }),
    cooldownMinutes: z.number().int().min(5).max(1440).openapi({ description: "A technician is told at most once per this many minutes" }),
  })
  .strict();

const SettingsInput = z
  .object({ pricing: PricingInput.optional(), notify: NotifyInput.optional() })
  .strict()
  .openapi("SurgeSettingsInput", { description: "A part left out keeps what is in force" });

const Settings = z
  .object({
    pricing: PricingInput,
    notify: NotifyInput,
    caps: z.object({ maxPercent: z.number().int(), maxAmount: z.number().int() }).openapi({ description: "The deployment's caps" }),
  })
  .openapi("SurgeSettings");

export const getSurgeSettings = createRoute({
  operationId: "getSurgeSettings",
  method: "get",
  path: "/v1/admin/cities/{id}/surge-settings",
  tags: ["Operations"],
  summary: "A city's surge settings (surge pricing, off by default)",
  security: bearer,
  middleware: [platform] as const,
  request: { params: IdParam("id", "cty_demoShanghai") },
  responses: { 200: jsonContent(Settings, "The settings in force"), ...authErrors(404) },
});

export const putSurgeSettings = createRoute({
  operationId: "putSurgeSettings",
  method: "put",
  path: "/v1/admin/cities/{id}/surge-settings",
  tags: ["Operations"],
  summary: "Change a city's surge settings (operators)",
  description: "400 SURGE_ABOVE_CAP when the percent or the amount is above the deployment's caps. Quotes use the settings at once.",
  security: bearer,
  middleware: [platform] as const,
  request: { params: IdParam("id", "cty_demoShanghai"), body: jsonBody(SettingsInput) },
  responses: { 200: jsonContent(Settings, "The settings in force"), ...authErrors(404, 413, 415) },
});

const Accuracy = z
  .object({
    cityId: z.string(),
    timeZone: z.string(),
    from: z.string(),
    to: z.string(),
    columns: z.array(z.string()),
    rows: z.array(z.object({ cell: z.string(), forecast: z.number(), actual: z.number().int(), mape: z.number().nullable() })),
    totals: z.object({
      mape: z.number().nullable().openapi({ description: "MAPE (%) of the city's hourly totals; null without orders" }),
      forecast: z.number(),
      actual: z.number().int(),
    }),
  })
  .openapi("ForecastAccuracy");

export const forecastAccuracy = createRoute({
  operationId: "getForecastAccuracyReport",
  method: "get",
  path: "/v1/admin/reports/forecast-accuracy",
  tags: ["Reports"],
  summary: "How good the demand forecasts were: MAPE per city and per cell",
  description:
    "Over the last `weeks` weeks up to the last whole hour: per cell, orders forecast (by the nightly forecast made before the hour) and orders that started, and the mean absolute percentage error over the hours with orders; `totals.mape` on the city's hourly totals. Hours without a forecast count as 0.",
  security: bearer,
  middleware: [platform] as const,
  request: {
    query: z.object({
      city: z.string().min(1).max(64).openapi({ description: "City id", example: "cty_demoShanghai" }),
      weeks: z.coerce.number().int().min(1).max(12).default(4),
      format: z.enum(["json", "csv"]).default("json").openapi({ description: "csv: the rows as a CSV download" }),
    }),
  },
  responses: {
    200: {
      description: "The report (JSON, or CSV with `format=csv`)",
      content: { "application/json": { schema: Accuracy }, "text/csv": { schema: z.string() } },
    },
    ...authErrors(404),
  },
});

const Place = z.object({ zh: z.string(), en: z.string() }).openapi({ description: "Where the cell lies from the city centre" });

const Prepositions = z
  .object({
    cityId: z.string(),
    merchantId: z.string().nullable().openapi({
      description: "A merchant admin's suggestions: its merchant (moves and `supply` of its own technicians only); null for the platform",
    }),
    timeZone: z.string(),
    from: z.string(),
    to: z.string(),
    maxKm: z.number().openapi({ description: "PREPOSITION_MAX_KM: no move is longer (between cell centres)" }),
    hours: z.array(
      z.object({
        start: z.string(),
        end: z.string(),
        cells: z.array(
          z.object({
            cell: z.string(),
            label: Place,
            demand: z.number().openapi({ description: "Forecast orders starting in the hour" }),
            supply: z.number().int().openapi({ description: "Approved technicians homed in the cell on shift at the middle of the hour" }),
            needed: z.number().int().openapi({ description: "The demand rounded up" }),
            shortfall: z.number().int(),
            surplus: z.number().int(),
          }),
        ),
        moves: z.array(
          z.object({
            from: z.string(),
            fromLabel: Place,
            to: z.string(),
            toLabel: Place,
            technicians: z.number().int(),
            distanceKm: z.number(),
          }),
        ),
      }),
    ),
    totals: z.object({ shortfall: z.number().int(), moved: z.number().int() }),
  })
  .openapi("Prepositions");

export const prepositions = createRoute({
  operationId: "getPrepositions",
  method: "get",
  path: "/v1/admin/cities/{id}/prepositions",
  tags: ["Operations"],
  summary: "Pre-position suggestions: forecast demand against technicians on shift per cell and hour, and moves",
  description:
    "For the current and the next `hours` − 1 hours: per cell the forecast demand, the technicians on shift homed there, the shortfall or surplus, and suggested moves from surplus cells to short ones (greedy by distance between cell centres, never beyond PREPOSITION_MAX_KM; docs/surge-forecasts.md). A merchant admin gets the city's shortfall against its own technicians: `supply` and `surplus` count only them (no more than the city spares in a cell), and the moves move only them.",
  security: bearer,
  middleware: [staff] as const,
  request: {
    params: IdParam("id", "cty_demoShanghai"),
    query: z.object({ hours: z.coerce.number().int().min(1).max(24).default(6).openapi({ description: "Hours ahead (1–24)" }) }),
  },
  responses: { 200: jsonContent(Prepositions, "The suggestions"), ...authErrors(404) },
});
