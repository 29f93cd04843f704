/**
 * The operators' alert channel: each alert is POSTed as JSON to ALERT_WEBHOOK_URL, signed like our
 * other webhooks (`X-Doorstep-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(ALERT_WEBHOOK_SECRET, "<t>.<raw body>")>`).
 * A receiver recomputes the HMAC over the raw body and refuses a stale `t` (e.g. older than 5 minutes).
 */
import { hmacHex } from "../lib/provider-crypto";

export const ALERT_SIGNATURE_HEADER = "X-Doorstep-Signature";
/** How long the receiver may take before the post counts as failed. */
const TIMEOUT_MS = 5_000;

/** The signature header's value for `rawBody` at `t` (unix seconds). */
export async function signAlert(secret: string, rawBody: string, t: number): Promise<string> {
  return `t=${t},v1=${await hmacHex(secret, `${t}.${rawBody}`)}`;
}

/** Posts one alert; throws when the receiver does not answer 2xx in time. */
export async function postAlert(url: string, secret: string, alert: Record<string, unknown>, now = Date.now()): Promise<void> {
  const body = JSON.stringify(alert);
  const signature = await signAlert(secret, body, Math.floor(now / 1000));
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", [ALERT_SIGNATURE_HEADER]: signature, "User-Agent": "doorstep-alerts/1" },
    body,
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) throw new Error(`alert receiver answered ${res.status}`);
}
