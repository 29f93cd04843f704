/**
 * The operators' live map socket of one cell (`GET /v1/admin/cells/{cell}/live`): a snapshot of the
 * cell when it opens, then coalesced deltas. The cell (durable/ops.feed.ts) builds its frames against
 * these types; docs/websockets.md is rendered from them.
 */
import { z } from "zod";

const coordinate = (what: string, max: number) =>
  z.number().min(-max).max(max).describe(`${what}, decimal degrees (WGS-84, see docs/coordinates.md)`);

export const OpsTechnician = z
  .object({
    id: z.string(),
    name: z.string(),
    merchantId: z.string().nullable(),
    state: z.enum(["online", "busy", "offline"]).describe("busy: on the way to, at or working a job"),
    lat: coordinate("Last reported latitude, else the technician's home", 90),
    lng: coordinate("Last reported longitude, else the technician's home", 180),
    located: z.enum(["reported", "home"]).describe("reported: the last position sent; home: never reported"),
    heading: z.number().nullable(),
    lastSeenAt: z.number().int().nullable().describe("Epoch milliseconds of the last heartbeat (null: never)"),
  })
  .strict();
export type OpsTechnician = z.infer<typeof OpsTechnician>;

export const OpsOrder = z
  .object({
    id: z.string(),
    status: z.string(),
    merchantId: z.string().nullable(),
    technicianId: z.string().nullable(),
    lat: coordinate("The order's area (rounded to about 1 km), latitude", 90),
    lng: coordinate("The order's area (rounded to about 1 km), longitude", 180),
    startAt: z.number().int().describe("Epoch milliseconds"),
    exception: z.string().nullable().describe("Why it waits for an operator (null: it does not)"),
  })
  .strict();
export type OpsOrder = z.infer<typeof OpsOrder>;

/**
 * The cell's summary, as the socket's viewer may see it (a merchant admin: its own technicians and
 * orders only). The object may gain fields; clients ignore those they do not know.
 */
export const OpsCellSummary = z
  .object({
    cell: z.string().describe("The cell's H3 index"),
    openOrders: z.number().int().nonnegative(),
    onlineTechnicians: z.number().int().nonnegative().describe("Online or busy technicians homed in the cell"),
    load: z.number().nonnegative().describe("Open orders per online technician (0 = none open)"),
    surge: z.enum(["normal", "surging"]).describe("The cell's demand state (see docs/surge-forecasts.md)"),
  })
  .describe("The cell's summary; later versions may add fields (clients ignore unknown ones)");
export type OpsCellSummary = z.infer<typeof OpsCellSummary>;

export const OpsServerMessage = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("snapshot"),
      at: z.number().int().describe("Server time, epoch milliseconds"),
      cell: OpsCellSummary,
      technicians: z.array(OpsTechnician).describe("Every technician homed in the cell who ever went on duty"),
      orders: z.array(OpsOrder).describe("The cell's open orders"),
    })
    .strict()
    .describe("The first frame: the cell as it is now."),
  z
    .object({
      type: z.literal("delta"),
      at: z.number().int().describe("Server time, epoch milliseconds"),
      technicians: z.array(OpsTechnician).describe("Technicians whose presence changed (their whole new row)"),
      orders: z.array(OpsOrder).describe("Orders that entered the open set or changed in it"),
      closedOrders: z.array(z.string()).describe("Orders that left the open set (finished, cancelled, moved away)"),
      cell: OpsCellSummary.nullable().describe("The new summary when it changed (null: unchanged)"),
    })
    .strict()
    .describe(
      "Changes since the previous frame, coalesced: at most one delta per OPS_FRAME_MS per socket, each technician and order once with its newest state.",
    ),
  z
    .object({ type: z.literal("pong"), at: z.number().int().describe("Server time, epoch milliseconds") })
    .strict()
    .describe("The answer to ping."),
]);
export type OpsServerMessage = z.infer<typeof OpsServerMessage>;

export const OpsClientMessage = z
  .object({ type: z.literal("ping") })
  .strict()
  .describe("Answered with pong; anything else is ignored.");
