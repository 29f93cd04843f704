/**
 * Short-lived, single-use tickets for WebSocket upgrades. Browsers cannot set headers on a
 * WebSocket, and a token in a URL ends up in logs (proxies, the runtime's own request logs), so a
 * signed-in client asks for a ticket (POST …/ticket) and opens the socket with `?ticket=`. A ticket
 * names its route and its caller, lives SOCKET_TICKET_TTL_SECONDS and opens one socket: the Durable
 * Object that takes the socket records the ticket's id until it expires and refuses it a second time
 * (no D1 statement per upgrade). It is signed with a key derived from JWT_SECRET for this purpose
 * alone, so it is never an access token, and an access token is never a ticket.
 */
import { z } from "@hono/zod-openapi";
import { config } from "../config";
import type { Auth } from "../env";
import { AppError } from "../errors";
import { newId } from "../lib/ids";
import { sign, verify } from "../lib/signed";
import { assertTokenCurrent } from "./token-state";

const PURPOSE = "socket-ticket";
const PREFIX = "wst_";

interface TicketClaims {
  /** The ticket's id: what the Durable Object records. */
  jti: string;
  /** The path it opens, e.g. `/v1/orders/ord_…/track`. */
  route: string;
  /** Expiry, epoch ms. */
  exp: number;
  sub: string;
  roles: Auth["roles"];
  mid: string | null;
  tid: string | null;
  ver: number;
}

/** A redeemed ticket: who opened the socket, and what the Durable Object must record. */
export interface SocketTicket {
  auth: Auth;
  id: string;
  expiresAt: number;
}

/** A ticket for one upgrade of `route` by `auth`. */
export async function issueSocketTicket(env: Env, auth: Auth, route: string): Promise<{ ticket: string; expiresIn: number }> {
  const ttl = config(env).SOCKET_TICKET_TTL_SECONDS;
  const claims: TicketClaims = {
    jti: newId("wst"),
    route,
    exp: Date.now() + ttl * 1000,
    sub: auth.accountId,
    roles: auth.roles,
    mid: auth.merchantId,
    tid: auth.technicianId,
    ver: auth.tokenVersion ?? 0,
  };
  return { ticket: await sign(env.JWT_SECRET, PURPOSE, PREFIX, claims), expiresIn: ttl };
}

/**
 * Checks a ticket for an upgrade of `route`: intact, not expired, issued for this route, and its
 * account still active with the same token version (a sign-out everywhere also voids open tickets).
 * 401 INVALID_TICKET otherwise. Single use is enforced where the socket lands (see above).
 */
export async function redeemSocketTicket(env: Env, ticket: string, route: string): Promise<SocketTicket> {
  const claims = ticket.length <= 2048 ? await verify<TicketClaims>(env.JWT_SECRET, PURPOSE, PREFIX, ticket) : null;
  if (!claims || typeof claims.exp !== "number" || claims.exp <= Date.now() || claims.route !== route || typeof claims.jti !== "string") {
    throw AppError.of("INVALID_TICKET");
  }
  const auth: Auth = {
    accountId: claims.sub,
    roles: claims.roles,
    merchantId: claims.mid,
    technicianId: claims.tid,
    tokenVersion: claims.ver,
  };
  await assertTokenCurrent(env, auth);
  return { auth, id: claims.jti, expiresAt: claims.exp };
}

/** The caller of a socket upgrade: the bearer token's, else the ticket's; 401 without either. */
export async function socketCaller(env: Env, bearer: Auth | undefined, ticket: string | undefined, route: string) {
  if (bearer) return { auth: bearer, ticket: null };
  if (!ticket) throw AppError.of("UNAUTHENTICATED");
  const redeemed = await redeemSocketTicket(env, ticket, route);
  return { auth: redeemed.auth, ticket: redeemed };
}

/** The cell's answer when it refused a ticket it had seen (see CellDO.fetch). */
export const TICKET_SEEN_STATUS = 409;

export const SocketTicketResponse = z
  .object({
    ticket: z.string().openapi({ description: "Send as `?ticket=` on the WebSocket upgrade; opens one socket" }),
    expiresIn: z.number().int().openapi({ description: "Seconds (SOCKET_TICKET_TTL_SECONDS)" }),
  })
  .openapi("SocketTicket");

export const TicketQuery = z.object({
  ticket: z
    .string()
    .max(2048)
    .optional()
    .openapi({ description: "A ticket from the route's POST …/ticket (for browsers, which cannot send an Authorization header)" }),
});

/** The query of a forwarded upgrade that tells the cell to record the ticket (CellDO.fetch). */
export function ticketParams(ticket: SocketTicket | null): Record<string, string> {
  return ticket ? { ticket: ticket.id, ticketExpires: String(ticket.expiresAt) } : {};
}

/** Maps the cell's refusal of a ticket it had seen to 401 TICKET_USED; passes anything else through. */
export function refusedTicket(res: Response): Response {
  if (res.status === TICKET_SEEN_STATUS && !res.webSocket) throw AppError.of("TICKET_USED");
  return res;
}
