/**
 * The operators' live map socket of one cell (`GET /v1/admin/cells/{cell}/live`): the Worker checks
 * who opens it, hands the cell its open orders and busy technicians from D1, and forwards the upgrade
 * to the cell (durable/ops.feed.ts), which sends the snapshot and then deltas. As orders move, the
 * notifications consumer tells the cells (`pushOrderChanges`), so no client polls.
 */
import { getDb } from "../db/client";
import { cityOfCell } from "../db/repositories/cities.repo";
import { OPEN_STATUSES } from "../db/repositories/dashboard.repo";
import type { OpsOrder } from "../domain/ops-messages";
import { isPlatform } from "../domain/roles";
import type { Auth } from "../env";
import { AppError, notFound } from "../errors";
import { cellStub } from "../cells/cells.service";
import { issueSocketTicket, refusedTicket, socketCaller, ticketParams } from "../http/socket-ticket";
import { areaPoint, type StoredPoint } from "../lib/coordinates";
import { log } from "../lib/log";
import { busyTechniciansOfCell, liveOrdersByIds, openOrdersOfCell } from "./live-socket.repo";

const routeOf = (cell: string) => `/v1/admin/cells/${cell}/live`;
const OPEN: ReadonlySet<string> = new Set(OPEN_STATUSES);

/** Who may follow a cell: operators and admins (everything), a merchant admin (its own merchant's); 403 otherwise. */
function viewerOf(auth: Auth): { merchantId: string | null } {
  if (isPlatform(auth.roles)) return { merchantId: null };
  if (auth.roles.includes("merchant_admin") && auth.merchantId) return { merchantId: auth.merchantId };
  throw AppError.of("FORBIDDEN");
}

async function knownCell(env: Env, cell: string): Promise<void> {
  if (!(await cityOfCell(getDb(env), cell))) throw notFound("Cell");
}

/** A single-use ticket for the cell's live socket. */
export async function cellLiveTicket(env: Env, auth: Auth, cell: string) {
  viewerOf(auth);
  await knownCell(env, cell);
  return issueSocketTicket(env, auth, routeOf(cell));
}

/** What the map shows of an order: its area (about 1 km), never the exact address. */
function opsOrder(
  o: StoredPoint & { status: string; merchantId: string | null; technicianId: string | null; startAt: number; exception: string | null },
): OpsOrder {
  const p = areaPoint(o);
  return {
    id: o.id,
    status: o.status,
    merchantId: o.merchantId,
    technicianId: o.technicianId,
    lat: p.lat,
    lng: p.lng,
    startAt: o.startAt,
    exception: o.exception,
  };
}

/**
 * Opens the caller's live socket on `cell` (401 without a bearer or ticket, 403 for anyone but
 * operators, admins and merchant admins, 404 for a cell of no city, 409 without an upgrade).
 */
export async function openCellLive(env: Env, request: Request, bearer: Auth | undefined, cell: string, ticketParam: string | undefined) {
  const { auth, ticket } = await socketCaller(env, bearer, ticketParam, routeOf(cell));
  const viewer = viewerOf(auth);
  await knownCell(env, cell);
  if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") throw AppError.of("UPGRADE_REQUIRED");
  const db = getDb(env);
  const [orders, busy] = await Promise.all([openOrdersOfCell(db, cell), busyTechniciansOfCell(db, cell)]);
  const stub = cellStub(env, cell);
  await stub.opsSync(orders.map(opsOrder), busy);
  const query = new URLSearchParams({ merchantId: viewer.merchantId ?? "", ...ticketParams(ticket) });
  return refusedTicket(await stub.fetch(`https://cell/ops?${query}`, { headers: { Upgrade: "websocket" } }));
}

/** An `order.status` change as the outbox carries it (only the order matters here). */
export interface OrderChange {
  orderId: string;
}

/**
 * Tells the cells about orders that changed status: each order's cell updates its open set, and the
 * home cell of each order's technician learns whether a visit of theirs is under way (one D1 read
 * per 90 orders, one call per cell). Best effort (logged):
 * an operator's map that missed one is put right when its socket next opens.
 */
export async function pushOrderChanges(env: Env, changes: OrderChange[]): Promise<void> {
  if (changes.length === 0) return;
  try {
    const rows = await liveOrdersByIds(getDb(env), [...new Set(changes.map((c) => c.orderId))]);
    // One call per cell for the whole batch: its orders, and the visits of the technicians homed there.
    const perCell = new Map<string, { orders: { order: OpsOrder; open: boolean }[]; visits: Map<string, boolean> }>();
    const changesOf = (cell: string) => {
      let c = perCell.get(cell);
      if (!c) perCell.set(cell, (c = { orders: [], visits: new Map() }));
      return c;
    };
    for (const o of rows) {
      changesOf(o.cell).orders.push({ order: opsOrder(o), open: OPEN.has(o.status) });
      if (o.technicianId && o.technicianHome) changesOf(o.technicianHome).visits.set(o.technicianId, Boolean(o.technicianBusy));
    }
    await Promise.all(
      [...perCell].map(([cell, c]) =>
        cellStub(env, cell).opsChanges(
          c.orders,
          [...c.visits].map(([technicianId, busy]) => ({ technicianId, busy })),
        ),
      ),
    );
  } catch (err) {
    log("warn", "ops.push_failed", { orders: changes.length, error: String(err) });
  }
}
