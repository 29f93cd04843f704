/**
 * A local alert receiver, as an integrator would write one from README "Operate": it verifies
 * `X-Doorstep-Signature: t=…,v1=…` (HMAC-SHA256 of `t.rawBody` with the shared secret, 300 s
 * tolerance) and answers 401 when it does not hold, else 200 (or the status it is told to fail with).
 */
import { hmacHex } from "../../src/lib/provider-crypto";

export const ALERT_URL = "https://alerts.example.test/hook";
export const ALERT_SECRET = "alert-secret-for-tests-0123456789";

export interface Received {
  status: number;
  body: Record<string, unknown> | null;
  signature: string | null;
}

/** Checks a signature header against the raw body with `secret` (constant-time compare of the hex). */
export async function verifyAlertSignature(secret: string, header: string | null, rawBody: string, now = Date.now()): Promise<boolean> {
  if (!header) return false;
  const parts = Object.fromEntries(header.split(",").map((p) => [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(now / 1000 - t) > 300 || !parts.v1) return false;
  const expected = await hmacHex(secret, `${t}.${rawBody}`);
  if (expected.length !== parts.v1.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ parts.v1.charCodeAt(i);
  return diff === 0;
}

/** The receiver: records every request and what it answered. */
export function alertReceiver(secret = ALERT_SECRET) {
  const received: Received[] = [];
  let failWith: number | null = null;
  const handle = async (req: Request): Promise<Response> => {
    const raw = await req.text();
    const signature = req.headers.get("X-Doorstep-Signature");
    let status = (await verifyAlertSignature(secret, signature, raw)) ? 200 : 401;
    if (status === 200 && failWith !== null) status = failWith;
    let body: Record<string, unknown> | null = null;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      status = 400;
    }
    received.push({ status, body, signature });
    return new Response(status === 200 ? "ok" : "refused", { status });
  };
  return {
    received,
    handle,
    failWith(status: number | null) {
      failWith = status;
    },
  };
}
