/**
 * Outbound webhooks, the pure rules: which outbox messages are which integrator events, the event
 * bodies integrators receive, the retry schedule, and the address checks (SSRF) that need no DNS.
 */
import type { OutboxMessage } from "./outbox";

/** The event types an integrator may subscribe to. */
export const WEBHOOK_EVENT_TYPES = [
  "order.created",
  "order.confirmed",
  "order.assigned",
  "order.completed",
  "order.cancelled",
  "payment.succeeded",
  "refund.succeeded",
  "review.posted",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Outbox topics that can become events (the notifications consumer forwards only these). */
export const WEBHOOK_TOPICS: ReadonlySet<string> = new Set(["order.status", "payment.succeeded", "refund.succeeded", "review.created"]);

const STATUS_EVENTS: Partial<Record<string, WebhookEventType>> = {
  confirmed: "order.confirmed",
  assigned: "order.assigned",
  completed: "order.completed",
  cancelled: "order.cancelled",
};

/** What an event says, the `data` member of its body. `merchantId` is the order's (null: a platform order). */
export type WebhookEventData = Record<string, string | number | null>;

/** One event made from an outbox message: id, type and data (the order's merchant filled in by the consumer). */
export interface WebhookEvent {
  id: string;
  type: WebhookEventType;
  orderId: string;
  data: WebhookEventData;
}

/**
 * The events of one outbox message, none when it is not one integrators hear. A booking's first
 * status is `order.created`, and `order.assigned` too when it is booked straight onto a technician.
 * Event ids are derived from the message id, so a message delivered twice makes the same events.
 */
export function eventsOf(m: OutboxMessage): WebhookEvent[] {
  const ev = (type: WebhookEventType, data: WebhookEventData): WebhookEvent => ({
    id: `evt_${m.id.replace(/^[a-z]+_/, "")}${type.replace(/[^a-z]/g, "")}`,
    type,
    orderId: String(data.orderId),
    data,
  });
  switch (m.topic) {
    case "order.status": {
      const p = m.payload;
      const data = { orderId: p.orderId, status: p.to, previousStatus: p.from, technicianId: p.technicianId, reason: p.reason };
      const out: WebhookEvent[] = [];
      if (p.from === null) out.push(ev("order.created", data));
      const type = STATUS_EVENTS[p.to];
      if (type && p.from !== p.to) out.push(ev(type, data));
      return out;
    }
    case "payment.succeeded": {
      const p = m.payload;
      return [
        ev("payment.succeeded", {
          orderId: p.orderId,
          paymentId: p.paymentId,
          stage: p.stage,
          provider: p.provider,
          amount: p.amount,
          currency: p.currency,
        }),
      ];
    }
    case "refund.succeeded": {
      const p = m.payload;
      return [ev("refund.succeeded", { orderId: p.orderId, refundId: p.refundId, kind: p.kind, amount: p.amount, currency: p.currency })];
    }
    case "review.created": {
      const p = m.payload;
      return [ev("review.posted", { orderId: p.orderId, reviewId: p.reviewId, technicianId: p.technicianId, overall: p.overall })];
    }
    default:
      return [];
  }
}

/** The JSON body one delivery sends (the same bytes on every attempt and replay). */
export function eventBody(e: WebhookEvent, merchantId: string | null, createdAt: number): string {
  return JSON.stringify({ id: e.id, type: e.type, createdAt: new Date(createdAt).toISOString(), data: { ...e.data, merchantId } });
}

/** The most a retry waits (1 h). */
const MAX_DELAY_SECONDS = 3600;

/** Seconds before attempt `attempt + 1` after attempt `attempt` failed: `base`, doubling, at most an hour. */
export function webhookRetryDelay(base: number, attempt: number): number {
  return Math.min(MAX_DELAY_SECONDS, base * 2 ** Math.max(0, Math.min(attempt - 1, 20)));
}

/** Why a URL is refused (the `reason` of 422 WEBHOOK_URL_REFUSED). */
export type UrlRefusal =
  | "invalid_url"
  | "not_https"
  | "credentials_in_url"
  | "local_name"
  | "private_address"
  | "loopback_address"
  | "link_local_address"
  | "metadata_address"
  | "unresolvable";

/** An IPv4 address (dotted quad, as the URL parser writes it) as four numbers, or null. */
function ipv4(host: string): [number, number, number, number] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const parts = m.slice(1).map(Number) as [number, number, number, number];
  return parts.every((n) => n <= 255) ? parts : null;
}

/** The refusal of an IPv4 address that is not a public unicast one, or null. */
export function ipv4Refusal(host: string): UrlRefusal | null {
  const p = ipv4(host);
  if (!p) return null;
  const [a, b, c] = p;
  if (a === 127) return "loopback_address";
  if (a === 169 && b === 254) return c === 169 ? "metadata_address" : "link_local_address"; // 169.254.169.254: cloud metadata
  if (a === 100 && b === 100 && c === 100) return "metadata_address"; // Alibaba Cloud's metadata service (100.100.100.200)
  if (
    a === 0 ||
    a === 10 ||
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) ||
    (a === 198 && (b === 18 || b === 19)) ||
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113) ||
    a >= 224 // multicast, reserved, broadcast
  ) {
    return "private_address";
  }
  return null;
}

/** Expands an IPv6 address (no brackets) to eight 16-bit groups, or null when it is not one. */
function ipv6Groups(host: string): number[] | null {
  if (!host.includes(":")) return null;
  let text = host.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const p = ipv4(v4[1]!);
    if (!p) return null;
    text = text.slice(0, -v4[1]!.length) + `${((p[0] << 8) | p[1]).toString(16)}:${((p[2] << 8) | p[3]).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (s: string) => (s === "" ? [] : s.split(":").map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)));
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...Array<number>(Math.max(fill, 0)).fill(0), ...tail];
  return groups.length === 8 && groups.every((g) => Number.isFinite(g)) ? groups : null;
}

/** The refusal of an IPv6 address that is not a public unicast one (IPv4 inside it checked as IPv4), or null. */
export function ipv6Refusal(host: string): UrlRefusal | null {
  const g = ipv6Groups(host.replace(/^\[|\]$/g, ""));
  if (!g) return null;
  const [g0, , , , g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  if (zeroTo(7) && g7 === 1) return "loopback_address";
  if (zeroTo(8)) return "private_address";
  if (zeroTo(5) && g5 === 0xffff) return ipv4Refusal(v4(g6, g7)) ?? null; // IPv4-mapped
  if (zeroTo(6)) return ipv4Refusal(v4(g6, g7)) ?? "private_address"; // IPv4-compatible (deprecated)
  if (g0 === 0x64 && g[1] === 0xff9b) return ipv4Refusal(v4(g6, g7)); // NAT64
  if (g0 === 0xfd00 && g[1] === 0x0ec2 && g4 === 0 && g5 === 0 && g6 === 0 && g7 === 0x254) return "metadata_address"; // AWS IMDS over IPv6
  if ((g0 & 0xffc0) === 0xfe80) return "link_local_address";
  if ((g0 & 0xfe00) === 0xfc00 || (g0 & 0xffc0) === 0xfec0) return "private_address"; // unique local, old site-local
  if ((g0 & 0xff00) === 0xff00) return "private_address"; // multicast
  if (g0 === 0x2001 && g[1] === 0x0db8) return "private_address"; // documentation
  return null;
}

/** Host names that name this machine or a private network, never the public internet. */
const LOCAL_NAMES = /(^|\.)(localhost|local|internal|intranet|lan|home\.arpa|localdomain)$/;
const METADATA_NAMES = new Set(["metadata", "metadata.google.internal", "metadata.goog", "instance-data"]);

/** What checking an address found without DNS: refused, or fine and a DNS name still to resolve (or not). */
export type UrlCheck = { ok: false; reason: UrlRefusal } | { ok: true; url: URL; dnsName: string | null };

/**
 * Checks a subscription's URL without DNS: https only (http only to 127.0.0.1 when `allowLocalHttp`,
 * for local development), no user name or password, no literal address that is private, loopback,
 * link-local or a cloud metadata service (IPv4, IPv6, and IPv4 inside IPv6; the URL parser turns
 * `http://2130706433/` and `0x7f.1` into dotted quads first), and no name of a local network
 * (`localhost`, `*.local`, `*.internal`, a name without a dot). A DNS name passes with `dnsName` set:
 * resolving it is the caller's part.
 */
export function checkUrl(raw: string, opts: { allowLocalHttp: boolean }): UrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "invalid_url" };
  }
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  if (opts.allowLocalHttp && url.protocol === "http:" && host === "127.0.0.1") return { ok: true, url, dnsName: null };
  if (url.protocol !== "https:") return { ok: false, reason: "not_https" };
  if (url.username || url.password) return { ok: false, reason: "credentials_in_url" };
  if (host === "") return { ok: false, reason: "invalid_url" };
  if (host.startsWith("[")) {
    const refusal = ipv6Refusal(host);
    return refusal ? { ok: false, reason: refusal } : { ok: true, url, dnsName: null };
  }
  if (ipv4(host)) {
    const refusal = ipv4Refusal(host);
    return refusal ? { ok: false, reason: refusal } : { ok: true, url, dnsName: null };
  }
  if (METADATA_NAMES.has(host)) return { ok: false, reason: "metadata_address" };
  if (LOCAL_NAMES.test(host) || !host.includes(".")) return { ok: false, reason: "local_name" };
  return { ok: true, url, dnsName: host };
}

/** The refusal of a resolved address (A or AAAA record), or null when it is public. */
export function addressRefusal(address: string): UrlRefusal | null {
  return address.includes(":") ? ipv6Refusal(address) : ipv4Refusal(address);
}

/** How much of a request or response body the delivery log keeps (characters). */
export const LOGGED_BODY_CHARS = 2048;

/** `text` cut to `max` characters, with a mark when it was cut. */
export function truncated(text: string, max = LOGGED_BODY_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}…[${text.length - max} more]`;
}
