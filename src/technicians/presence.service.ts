import type { PositionUpdate, PresenceView } from "../../durable/cell.types";
import { getDb } from "../db/client";
import { rosterEntry, type RosterEntry } from "../db/repositories/roster.repo";
import { AppError, notFound } from "../errors";
import type { Auth } from "../env";
import { issueSocketTicket, refusedTicket, socketCaller, ticketParams } from "../http/socket-ticket";
import { atOwnerCell, cellProfiles, cellStub } from "../cells/cells.service";

function view(p: PresenceView) {
  return {
    technicianId: p.technicianId,
    online: p.online,
    position: p.lat !== null && p.lng !== null ? { lat: p.lat, lng: p.lng, accuracy: p.accuracy, heading: p.heading } : null,
    battery: p.battery,
    lastSeenAt: p.lastSeenAt === null ? null : new Date(p.lastSeenAt).toISOString(),
  };
}

function assertApproved(entry: RosterEntry): void {
  if (entry.profile.status !== "approved") {
    throw AppError.of("TECHNICIAN_NOT_APPROVED");
  }
}

/** Goes on or off duty in the home cell. */
export async function setStatus(env: Env, technicianId: string, online: boolean) {
  const { result } = await atOwnerCell(env, technicianId, async (stub, entry) => {
    assertApproved(entry);
    return stub.setOnline(technicianId, online);
  });
  return view(result.presence);
}

/** A heartbeat with position; 409 OFF_DUTY unless the technician went online first. */
export async function reportPosition(env: Env, technicianId: string, pos: PositionUpdate) {
  const { result } = await atOwnerCell(env, technicianId, async (stub, entry) => {
    assertApproved(entry);
    const r = await stub.heartbeat(technicianId, pos);
    if (!r.ok && r.code === "OFF_DUTY") {
      throw AppError.of("OFF_DUTY");
    }
    return r;
  });
  return view(result.presence);
}

const STREAM_ROUTE = "/v1/technician/stream";

/** A single-use ticket for the technician's own socket. */
export function streamTicket(env: Env, auth: Auth) {
  return issueSocketTicket(env, auth, STREAM_ROUTE);
}

/**
 * Opens the technician's own WebSocket to their home cell. Browsers and mini programs that cannot
 * set headers on a WebSocket come with a single-use ticket (`streamTicket`), which the cell records.
 */
export async function openStream(env: Env, request: Request, bearer: Auth | undefined, ticketParam: string | undefined): Promise<Response> {
  const { auth, ticket } = await socketCaller(env, bearer, ticketParam, STREAM_ROUTE);
  if (!auth.roles.includes("technician")) throw AppError.of("FORBIDDEN");
  const technicianId = auth.technicianId;
  if (!technicianId) throw notFound("Technician");
  if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
    throw AppError.of("UPGRADE_REQUIRED");
  }
  const entry = await rosterEntry(getDb(env), technicianId);
  if (!entry) throw notFound("Technician");
  assertApproved(entry);
  const stub = cellStub(env, entry.homeCell);
  await stub.syncRoster(await cellProfiles(env, [entry]), 0);
  const query = new URLSearchParams({ technicianId, ...ticketParams(ticket) });
  return refusedTicket(await stub.fetch(`https://cell/stream?${query}`, { headers: { Upgrade: "websocket" } }));
}
