import { logger } from "../lib/log";
/**
 * A call to a provider failed or its answer could not be believed: nothing it said may be acted on.
 * The one error a live provider client throws. Callers record nothing on it: what was being sent
 * stays as it was (a refund processing, a withdrawal approved) and reconciliation tries again.
 */
export class ProviderError extends Error {
  constructor(
    message: string,
    /** Worth trying again later (timeouts, 5xx, bad signatures); false for a refusal of the request itself. */
    readonly retryable: boolean,
    readonly status: number | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = "ProviderError";
  }
}

/**
 * The provider answered and refused the request itself (a 4xx business error such as WeChat Pay's
 * NOT_ENOUGH or INVALID_REQUEST): asking again would be refused again. Our own signing being refused
 * (401) and rate limits (429) are not refusals of the request; neither is a failure without an answer.
 */
export function isRefusal(err: unknown): err is ProviderError {
  return (
    err instanceof ProviderError &&
    !err.retryable &&
    err.status !== null &&
    err.status >= 400 &&
    err.status < 500 &&
    err.status !== 401 &&
    err.status !== 429
  );
}

/** Logs a provider failure left to reconciliation. */
export function providerFailed(what: "refund" | "payout", id: string, err: ProviderError): void {
  logger.warn("payment.provider_failed", { what, id, retryable: err.retryable, error: err.message });
}
