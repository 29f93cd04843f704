import type { PositionUpdate, PresenceView } from "../../durable/cell.types";
import { getDb } from "../db/client";
import { rosterEntry, type RosterEntry } from "../db/repositories/roster.repo";
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError } from "../errors";
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
    throw new ConflictError("TECHNICIAN_NOT_APPROVED", { en: "The technician is not approved yet.", zh: "技师尚未通过审核。" });
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
      throw new ConflictError("OFF_DUTY", { en: "Go online before sharing your position.", zh: "请先上线再上报位置。" });
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
    if (!auth) throw new UnauthorizedError();
    if (!auth.roles.includes("technician")) throw new ForbiddenError();
    technicianId = auth.technicianId;
  }
  if (!technicianId) throw new NotFoundError("Technician");
  if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
    throw new ConflictError("UPGRADE_REQUIRED", { en: "Open this URL as a WebSocket.", zh: "请以 WebSocket 方式连接。" });
  }
  const entry = await rosterEntry(getDb(env), technicianId);
  if (!entry) throw new NotFoundError("Technician");
  assertApproved(entry);
  const stub = cellStub(env, entry.homeCell);
  await stub.syncRoster([entry.profile], 0);
  return stub.fetch(`https://cell/stream?technicianId=${encodeURIComponent(technicianId)}`, { headers: { Upgrade: "websocket" } });
}
