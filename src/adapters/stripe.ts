/**
 * The live Stripe client (PAYMENT_PROVIDER_CLIENT=live), through Stripe's SDK over `fetch`:
 * PaymentIntents (create, retrieve, cancel) and refunds (create, retrieve).
 *
 * Every create carries an Idempotency-Key derived from our own id (the payment, the refund), so a
 * request sent again (a retry, reconciliation) answers the object made the first time instead of a
 * second charge or refund. A connection failure, a 5xx or a rate limit throws a retryable
 * `ProviderError`: the caller records nothing and the work is tried again later. A refusal of the
 * request itself (an invalid request, a card error, a wrong key) is not retryable.
 *
 * Stripe does not pay technicians out here: payouts answer `failed` and the money stays available.
 */
import Stripe from "stripe";
import { config } from "../config";
import { getDb } from "../db/client";
import { findPayment, findRefund } from "../db/repositories/payments.repo";
import type { PaymentProvider } from "../domain/money";
import { ProviderError } from "./provider-error";
import type { PayoutState, PrepayRequest, Prepared, ProviderClient, RefundState, TradeState } from "./payment-provider";

/** How long one call may take before it counts as a provider failure (ms). */
const TIMEOUT_MS = 10_000;

/** The Idempotency-Key of the PaymentIntent of payment `paymentId`. */
export const paymentIdempotencyKey = (paymentId: string) => `doorstep-payment-${paymentId}`;
/** The Idempotency-Key of the refund `refundId`. */
export const refundIdempotencyKey = (refundId: string) => `doorstep-refund-${refundId}`;

/** The SDK's connection options for STRIPE_API_BASE (scheme, host, port). */
export function stripeConnection(apiBase: string): { protocol: "http" | "https"; host: string; port: number } {
  const url = new URL(apiBase);
  const protocol = url.protocol === "http:" ? "http" : "https";
  return { protocol, host: url.hostname, port: url.port ? Number(url.port) : protocol === "https" ? 443 : 80 };
}

/** An SDK error as a `ProviderError`: retryable when the request may simply be sent again. */
export function stripeFailure(what: string, err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  if (err instanceof Stripe.errors.StripeError) {
    const status = typeof err.statusCode === "number" ? err.statusCode : null;
    const retryable =
      err instanceof Stripe.errors.StripeConnectionError ||
      err instanceof Stripe.errors.StripeAPIError ||
      err instanceof Stripe.errors.StripeRateLimitError ||
      status === null ||
      status === 429 ||
      status >= 500;
    const why = [status, err.code ?? err.type, err.message].filter(Boolean).join(" ");
    return new ProviderError(`stripe: ${what} ${retryable ? "failed" : "refused"} (${why})`, retryable, status, err.code ?? null);
  }
  return new ProviderError(`stripe: ${what} failed: ${String(err)}`, true);
}

/** The PaymentIntent states mapped onto ours. */
function tradeState(pi: Stripe.PaymentIntent): TradeState {
  switch (pi.status) {
    case "succeeded": {
      const charge = typeof pi.latest_charge === "string" ? pi.latest_charge : (pi.latest_charge?.id ?? pi.id);
      return { state: "paid", transactionId: charge, amount: pi.amount_received };
    }
    case "canceled":
      return { state: "closed" };
    // requires_payment_method, requires_confirmation, requires_action, processing, requires_capture.
    default:
      return { state: "unpaid" };
  }
}

/** A refund is processing until Stripe says succeeded; failed and canceled are refusals. */
function refundState(r: Stripe.Refund): RefundState {
  if (r.status === "succeeded") return { status: "succeeded", providerRefundId: r.id };
  if (r.status === "failed" || r.status === "canceled") {
    return { status: "failed", reason: `refund ${r.status} at the provider${r.failure_reason ? `: ${r.failure_reason}` : ""}` };
  }
  // pending, requires_action.
  return { status: "processing", providerRefundId: r.id };
}

/** The live client for Stripe; other providers must not be routed here. */
export function stripeClient(env: Env): ProviderClient {
  const cfg = config(env);
  const db = getDb(env);
  // Made on first use: the SDK takes `fetch` as it is when the client is made.
  let made: Stripe | null = null;
  const sdk = () =>
    (made ??= new Stripe(cfg.STRIPE_SECRET_KEY, {
      httpClient: Stripe.createFetchHttpClient(),
      ...stripeConnection(cfg.STRIPE_API_BASE),
      // Sending again is reconciliation's work, with the same Idempotency-Key.
      maxNetworkRetries: 0,
      timeout: TIMEOUT_MS,
      telemetry: false,
      appInfo: { name: "Doorstep" },
    }));
  async function attempt<T>(what: string, run: (s: Stripe) => Promise<T>): Promise<T> {
    if (!cfg.STRIPE_SECRET_KEY) throw new ProviderError("stripe: STRIPE_SECRET_KEY is not set", false);
    try {
      return await run(sdk());
    } catch (err) {
      throw stripeFailure(what, err);
    }
  }
  /** Our payment's PaymentIntent id; null when none was made (the create failed). */
  const intentOf = async (paymentId: string) => (await findPayment(db, paymentId))?.providerRef ?? null;

  return {
    async prepay(req: PrepayRequest): Promise<Prepared> {
      const pi = await attempt("PaymentIntent create", (s) =>
        s.paymentIntents.create(
          {
            amount: req.amount,
            currency: req.currency.toLowerCase(),
            description: req.description,
            metadata: { paymentId: req.paymentId },
          },
          { idempotencyKey: paymentIdempotencyKey(req.paymentId) },
        ),
      );
      if (pi.metadata?.paymentId !== req.paymentId || !pi.client_secret) {
        throw new ProviderError("stripe: PaymentIntent create answered another payment", true);
      }
      return { providerRef: pi.id, clientSecret: pi.client_secret };
    },

    async queryPayment(_provider: PaymentProvider, paymentId: string): Promise<TradeState> {
      const intent = await intentOf(paymentId);
      // Never created there: it cannot be paid.
      if (!intent) return { state: "unpaid" };
      const pi = await attempt("PaymentIntent retrieve", (s) => s.paymentIntents.retrieve(intent));
      if (pi.metadata?.paymentId !== paymentId) throw new ProviderError("stripe: PaymentIntent retrieve answered another payment", true);
      return tradeState(pi);
    },

    async closePayment(_provider: PaymentProvider, paymentId: string): Promise<void> {
      const intent = await intentOf(paymentId);
      if (!intent) return;
      try {
        await attempt("PaymentIntent cancel", (s) => s.paymentIntents.cancel(intent));
      } catch (err) {
        // Already paid or already canceled: the caller asks for the state next.
        if (err instanceof ProviderError && err.code === "payment_intent_unexpected_state") return;
        throw err;
      }
    },

    async refund(req): Promise<RefundState> {
      if (req.amount <= 0 || req.amount > req.paymentAmount) return { status: "failed", reason: "refund amount exceeds the payment" };
      const intent = await intentOf(req.paymentId);
      if (!intent && !req.providerTxnId) return { status: "failed", reason: "the payment has no PaymentIntent at the provider" };
      try {
        const r = await attempt("refund create", (s) =>
          s.refunds.create(
            {
              ...(intent ? { payment_intent: intent } : { charge: req.providerTxnId! }),
              amount: req.amount,
              metadata: { refundId: req.refundId, paymentId: req.paymentId },
            },
            { idempotencyKey: refundIdempotencyKey(req.refundId) },
          ),
        );
        return refundState(r);
      } catch (err) {
        // Refused outright (already refunded, more than is left): the refund fails.
        if (err instanceof ProviderError && !err.retryable && err.status === 400) return { status: "failed", reason: err.message };
        throw err;
      }
    },

    async queryRefund(_provider: PaymentProvider, refundId: string): Promise<RefundState | null> {
      const providerRefundId = (await findRefund(db, refundId))?.providerRefundId;
      if (!providerRefundId) return null;
      const r = await attempt("refund retrieve", (s) => s.refunds.retrieve(providerRefundId));
      return refundState(r);
    },

    payout(): Promise<PayoutState> {
      return Promise.resolve({ status: "failed", reason: "Stripe does not pay technicians out: choose another payout provider" });
    },

    queryPayout(): Promise<PayoutState | null> {
      return Promise.resolve(null);
    },
  };
}
