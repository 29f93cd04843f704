/**
 * The operators' live map of one cell: hibernatable sockets tagged `ops` that get a snapshot of the
 * cell when they open, then coalesced deltas (technician presence, the cell's open orders, the cell
 * summary). A merchant admin's socket carries its merchant in the attachment and sees only that
 * merchant's technicians and orders, the summary counted over those alone.
 *
 * The Worker tells the cell which of its orders are open and which of its technicians are on a visit
 * (`sync` when a socket opens, `orderChanged` / `setBusy` as orders move); presence is the cell's own.
 * Changes are gathered in memory and sent at most once per `frameMs`: a burst of heartbeats becomes
 * one frame with each technician's newest row.
 */
import { cellLoad } from "../src/domain/reports";
import type { OpsCellSummary, OpsOrder, OpsServerMessage, OpsTechnician } from "../src/domain/ops-messages";
import type { CalendarStore } from "./calendar.store";
import type { PresenceStore } from "./presence.store";
import type { SurgeState } from "../src/domain/surge";

/** What an operators' socket remembers across hibernation. */
export interface OpsAttachment {
  role: "ops";
  /** A merchant admin's merchant (null: operators and admins see everything). */
  merchantId: string | null;
  /** The summary this socket was sent last (a delta carries the summary only when it changed). */
  summary: string;
}

export const OPS_TAG = "ops";

type Frame = Extract<OpsServerMessage, { type: "delta" }>;

export class OpsFeed {
  private readonly pendingTechs = new Set<string>();
  private readonly pendingOrders = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly calendar: CalendarStore,
    private readonly presence: PresenceStore,
    private readonly cell: () => string,
    private readonly frameMs: number,
    private readonly surge: () => SurgeState,
  ) {}

  /** Accepts an operators' socket and sends it the snapshot. */
  open(merchantId: string | null): Response {
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [OPS_TAG]);
    const now = Date.now();
    const technicians = this.technicians(now).filter((t) => visible(t, merchantId));
    const orders = this.orders().filter((o) => visible(o, merchantId));
    const summary = this.summary(technicians, orders);
    server.serializeAttachment({ role: "ops", merchantId, summary: JSON.stringify(summary) } satisfies OpsAttachment);
    server.send(JSON.stringify({ type: "snapshot", at: now, cell: summary, technicians, orders } satisfies OpsServerMessage));
    return new Response(null, { status: 101, webSocket: client });
  }

  /** True when `att` is an operators' socket's; it answers a ping and ignores anything else. */
  handles(ws: WebSocket, att: { role?: string } | null, message: string | ArrayBuffer): boolean {
    if (att?.role !== "ops") return false;
    if (typeof message === "string" && message.includes('"ping"')) {
      ws.send(JSON.stringify({ type: "pong", at: Date.now() } satisfies OpsServerMessage));
    }
    return true;
  }

  /**
   * Replaces the cell's open orders and busy technicians with the Worker's reading of D1; what
   * differs from the cell's copy goes out as a delta.
   */
  sync(orders: OpsOrder[], busy: string[]): void {
    const old = this.orders();
    const before = new Map(old.map((o) => [o.id, JSON.stringify(o)]));
    for (const o of old) this.rememberMerchant(o.id, o.merchantId);
    const beforeBusy = new Set(this.busy());
    this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec("DELETE FROM ops_orders");
      for (const o of orders) this.ctx.storage.sql.exec("INSERT INTO ops_orders (order_id, body) VALUES (?, ?)", o.id, JSON.stringify(o));
      this.ctx.storage.sql.exec("DELETE FROM ops_busy");
      for (const id of new Set(busy)) this.ctx.storage.sql.exec("INSERT INTO ops_busy (technician_id) VALUES (?)", id);
    });
    for (const o of orders) if (before.get(o.id) !== JSON.stringify(o)) this.pendingOrders.add(o.id);
    const now = new Set(orders.map((o) => o.id));
    for (const id of before.keys()) if (!now.has(id)) this.pendingOrders.add(id);
    const nowBusy = new Set(busy);
    for (const id of new Set([...beforeBusy, ...nowBusy])) if (beforeBusy.has(id) !== nowBusy.has(id)) this.pendingTechs.add(id);
    this.schedule();
  }

  /**
   * Whether any operator follows the cell. Without one, changes need not be kept: the next socket
   * to open first hands the cell the open orders and busy technicians as D1 has them (`sync`).
   */
  watched(): boolean {
    return this.ctx.getWebSockets(OPS_TAG).length > 0;
  }

  /** An order of this cell entered or changed in the open set (`open`), or left it. */
  orderChanged(order: OpsOrder, open: boolean): void {
    if (open) {
      this.ctx.storage.sql.exec("INSERT OR REPLACE INTO ops_orders (order_id, body) VALUES (?, ?)", order.id, JSON.stringify(order));
    } else {
      const row = this.ctx.storage.sql.exec<{ body: string }>("SELECT body FROM ops_orders WHERE order_id = ?", order.id).toArray()[0];
      if (!row) return;
      this.rememberMerchant(order.id, (JSON.parse(row.body) as OpsOrder).merchantId);
      this.ctx.storage.sql.exec("DELETE FROM ops_orders WHERE order_id = ?", order.id);
    }
    this.pendingOrders.add(order.id);
    this.schedule();
  }

  /** A technician homed here started or ended a visit. */
  setBusy(technicianId: string, busy: boolean): void {
    const changed = busy
      ? this.ctx.storage.sql.exec("INSERT OR IGNORE INTO ops_busy (technician_id) VALUES (?)", technicianId)
      : this.ctx.storage.sql.exec("DELETE FROM ops_busy WHERE technician_id = ?", technicianId);
    if (changed.rowsWritten > 0) this.technicianChanged(technicianId);
  }

  /** A technician's presence changed (heartbeat, on/off duty, timed out). */
  technicianChanged(technicianId: string): void {
    if (this.ctx.getWebSockets(OPS_TAG).length === 0) return;
    this.pendingTechs.add(technicianId);
    this.schedule();
  }

  /** The cell's own state in the summary changed (its surge state): every socket gets the new summary. */
  summaryChanged(): void {
    if (this.ctx.getWebSockets(OPS_TAG).length === 0) return;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== null) return;
    if (this.ctx.getWebSockets(OPS_TAG).length === 0) {
      this.pendingTechs.clear();
      this.pendingOrders.clear();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.frameMs);
  }

  /** Sends every socket what changed since the last frame, as that socket may see it. */
  flush(): void {
    const now = Date.now();
    const techIds = [...this.pendingTechs];
    const orderIds = [...this.pendingOrders];
    this.pendingTechs.clear();
    this.pendingOrders.clear();
    const sockets = this.ctx.getWebSockets(OPS_TAG);
    if (sockets.length === 0) return;
    const allTechs = this.technicians(now);
    const allOrders = this.orders();
    const byId = new Map(allTechs.map((t) => [t.id, t]));
    const openById = new Map(allOrders.map((o) => [o.id, o]));
    const changedTechs = techIds.map((id) => byId.get(id)).filter((t): t is OpsTechnician => t !== undefined);
    const changedOrders = orderIds.map((id) => openById.get(id)).filter((o): o is OpsOrder => o !== undefined);
    const closed = orderIds.filter((id) => !openById.has(id));
    for (const ws of sockets) {
      const att = ws.deserializeAttachment() as OpsAttachment | null;
      if (att?.role !== "ops") continue;
      const mid = att.merchantId;
      const summary = this.summary(
        allTechs.filter((t) => visible(t, mid)),
        allOrders.filter((o) => visible(o, mid)),
      );
      const summaryText = JSON.stringify(summary);
      const frame: Frame = {
        type: "delta",
        at: now,
        technicians: changedTechs.filter((t) => visible(t, mid)),
        orders: changedOrders.filter((o) => visible(o, mid)),
        // A merchant admin hears of closed orders it may not have seen; ids only, and ignored when unknown.
        closedOrders: mid === null ? closed : closed.filter((id) => this.closedVisible(id, mid)),
        cell: summaryText === att.summary ? null : summary,
      };
      if (frame.technicians.length === 0 && frame.orders.length === 0 && frame.closedOrders.length === 0 && frame.cell === null) continue;
      try {
        if (frame.cell !== null) ws.serializeAttachment({ ...att, summary: summaryText } satisfies OpsAttachment);
        ws.send(JSON.stringify(frame));
      } catch {
        // gone; its close handler cleans up
      }
    }
  }

  /** Orders closed recently, with their merchant, so a merchant's socket hears only of its own. */
  private readonly closedMerchant = new Map<string, string | null>();

  private closedVisible(orderId: string, merchantId: string): boolean {
    return this.closedMerchant.get(orderId) === merchantId;
  }

  /** Remembers whose an order was before it closes. */
  private rememberMerchant(orderId: string, merchantId: string | null): void {
    if (this.closedMerchant.size > 5_000) this.closedMerchant.clear();
    this.closedMerchant.set(orderId, merchantId);
  }

  /**
   * The cell's summary over what a viewer sees, with the cell's surge state, so the snapshot and
   * every delta carry it.
   */
  private summary(technicians: OpsTechnician[], orders: OpsOrder[]): OpsCellSummary {
    const online = technicians.filter((t) => t.state !== "offline").length;
    return {
      cell: this.cell(),
      openOrders: orders.length,
      onlineTechnicians: online,
      load: cellLoad(orders.length, online),
      surge: this.surge(),
    };
  }

  private busy(): string[] {
    return this.ctx.storage.sql
      .exec<{ technician_id: string }>("SELECT technician_id FROM ops_busy")
      .toArray()
      .map((r) => r.technician_id);
  }

  private orders(): OpsOrder[] {
    return this.ctx.storage.sql
      .exec<{ body: string }>("SELECT body FROM ops_orders ORDER BY order_id")
      .toArray()
      .map((r) => JSON.parse(r.body) as OpsOrder);
  }

  /** The approved technicians homed here, with presence and state. */
  private technicians(now: number): OpsTechnician[] {
    const presence = new Map(this.presence.all(now).map((p) => [p.technicianId, p]));
    const busy = new Set(this.busy());
    return this.calendar
      .activeTechnicians()
      .filter((t) => t.profile.status === "approved")
      .map(({ profile }) => {
        const p = presence.get(profile.id);
        const reported = p !== undefined && p.lat !== null && p.lng !== null;
        return {
          id: profile.id,
          name: profile.name,
          merchantId: profile.merchantId,
          state: !p?.online ? "offline" : busy.has(profile.id) ? "busy" : "online",
          lat: reported ? p.lat! : profile.home.lat,
          lng: reported ? p.lng! : profile.home.lng,
          located: reported ? "reported" : "home",
          heading: p?.heading ?? null,
          lastSeenAt: p?.lastSeenAt ?? null,
        } satisfies OpsTechnician;
      });
  }
}

const visible = (row: { merchantId: string | null }, merchantId: string | null) => merchantId === null || row.merchantId === merchantId;
