import type { PositionUpdate, PresenceView } from "../../durable/cell.types";
import { getDb } from "../db/client";
import { rosterEntry, type RosterEntry } from "../db/repositories/roster.repo";
import { AppError, notFound } from "../errors";
import { verifyAccessToken } from "../lib/jwt";
import { atOwnerCell, cellStub } from "../cells/cells.service";

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

/**
 * Opens the technician's own WebSocket to their home cell. Browsers cannot set headers on a
 * WebSocket, so the access token may come as `access_token` in the query.
 */
export async function openStream(env: Env, request: Request, bearerTechnicianId: string | null): Promise<Response> {
  let technicianId = bearerTechnicianId;
  if (!technicianId) {
    const token = new URL(request.url).searchParams.get("access_token");
    const auth = token ? await verifyAccessToken(env, token) : null;
    if (!auth) throw AppError.of("UNAUTHENTICATED");
    if (!auth.roles.includes("technician")) throw AppError.of("FORBIDDEN");
    technicianId = auth.technicianId;
  }
  if (!technicianId) throw notFound("Technician");
  if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
    throw AppError.of("UPGRADE_REQUIRED");
  }
  const entry = await rosterEntry(getDb(env), technicianId);
  if (!entry) throw notFound("Technician");
  assertApproved(entry);
  const stub = cellStub(env, entry.homeCell);
  await stub.syncRoster([entry.profile], 0);
  return stub.fetch(`https://cell/stream?technicianId=${encodeURIComponent(technicianId)}`, { headers: { Upgrade: "websocket" } });
}
