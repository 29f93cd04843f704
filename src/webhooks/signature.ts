/**
 * The signature of a delivery, in the `Doorstep-Signature` header: `t=<unix seconds>,v1=<hex>`,
 * where the hex is HMAC-SHA256 keyed with the subscription's secret over `<t>.<body>`. During a
 * secret rotation's overlap there is one `v1=` per valid secret, the new one first
 * (`t=…,v1=<new>,v1=<old>`); a receiver accepts the delivery when any `v1` matches a secret it holds.
 */
import { hmacHex } from "../lib/provider-crypto";

export const SIGNATURE_HEADER = "Doorstep-Signature";

/** The header's value for `body` sent at `timestamp` (seconds), signed with each of `secrets` in order. */
export async function signatureHeader(secrets: readonly string[], timestamp: number, body: string): Promise<string> {
  const signed = `${timestamp}.${body}`;
  const sigs = await Promise.all(secrets.map((s) => hmacHex(s, signed)));
  return [`t=${timestamp}`, ...sigs.map((s) => `v1=${s}`)].join(",");
}
