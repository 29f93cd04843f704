/**
 * The id of an order placed under an Idempotency-Key: derived from the quote and the key, so every
 * retry of one booking names the same order (and asks its cell for the same hold). Its layout is
 * that of every id (lib/ids): 48 bits of time, the quote's, so ids still sort by when the booking
 * was priced, then 80 bits of the SHA-256 of the customer, the key and the quote.
 */
import { crockford } from "../lib/ids";
import type { QuotePayload } from "./quotes.service";

export async function orderIdOf(quote: QuotePayload, quoteId: string, accountId: string, key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${accountId}\n${key}\n${quoteId}`)));
  return `ord_${crockford(quote.expiresAt, digest)}`;
}
