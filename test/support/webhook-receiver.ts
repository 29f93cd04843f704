/**
 * An integrator's webhook endpoint, as a `fetch` route (test/support/fetch-routes.ts): it checks
 * `Doorstep-Signature` the way the README tells integrators to (its own implementation, WebCrypto,
 * not the Worker's), answers what the test scripts, and keeps every request it got.
 */
import type { FetchRoute } from "./fetch-routes";

const enc = new TextEncoder();

/**
 * Whether `header` (`t=<s>,v1=<hex>[,v1=<hex>…]`) signs `body` with one of `secrets` at a time
 * within `toleranceSeconds` of `now`: HMAC-SHA256 over `<t>.<body>`, compared in constant time.
 */
export async function verifySignature(
  header: string | null,
  body: string,
  secrets: readonly string[],
  toleranceSeconds = 300,
  now = Date.now(),
): Promise<boolean> {
  if (!header) return false;
  const parts = header.split(",").map((p) => p.split("=", 2) as [string, string | undefined]);
  const t = parts.find(([k]) => k === "t")?.[1];
  const sigs = parts.filter(([k, v]) => k === "v1" && v && /^[0-9a-f]{64}$/.test(v)).map(([, v]) => v!);
  if (!t || !/^\d+$/.test(t) || sigs.length === 0) return false;
  if (Math.abs(now / 1000 - Number(t)) > toleranceSeconds) return false;
  for (const secret of secrets) {
    const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    for (const hex of sigs) {
      const bytes = new Uint8Array(hex.match(/../g)!.map((h) => parseInt(h, 16)));
      if (await crypto.subtle.verify("HMAC", key, bytes, enc.encode(`${t}.${body}`))) return true;
    }
  }
  return false;
}

export interface Received {
  url: string;
  body: string;
  event: { id: string; type: string; createdAt: string; data: Record<string, unknown> };
  signature: string | null;
  headers: Record<string, string>;
  /** Whether the signature verified with the receiver's secrets at the time. */
  verified: boolean;
}

/**
 * A receiver at `prefix`. `secrets()` are the secrets it holds (read on each request, so a test can
 * set them after subscribing); `answer(n)` the status of its n-th request (1-based; default 200).
 * A request whose signature does not verify is answered 400, as a careful integrator would.
 */
export function webhookReceiver(
  prefix: string,
  secrets: () => readonly string[],
  answer: (n: number, r: Received) => number = () => 200,
): { route: FetchRoute; received: Received[] } {
  const received: Received[] = [];
  const route: FetchRoute = [
    prefix,
    async (req) => {
      const body = await req.text();
      const signature = req.headers.get("doorstep-signature");
      const r: Received = {
        url: req.url,
        body,
        event: JSON.parse(body) as Received["event"],
        signature,
        headers: Object.fromEntries(req.headers),
        verified: await verifySignature(signature, body, secrets()),
      };
      received.push(r);
      if (!r.verified) return new Response("bad signature", { status: 400 });
      const status = answer(received.length, r);
      return new Response(status < 300 ? "ok" : `failing on purpose (${status})`, { status });
    },
  ];
  return { route, received };
}
