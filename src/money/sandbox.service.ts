/**
 * The sandbox provider (development and demos): paying marks the trade paid in the local provider
 * records and delivers a Stripe-format `payment_intent.*` event, signed with SANDBOX_WEBHOOK_SECRET,
 * to the same verifying webhook code the real providers go through.
 */
import { config } from "../config";
import { getDb } from "../db/client";
import { getLocalRecord, setLocalState } from "../db/repositories/local-provider.repo";
import { findPayment } from "../db/repositories/payments.repo";
import { AppError, notFound } from "../errors";
import { newId } from "../lib/ids";
import { hmacHex } from "../lib/provider-crypto";
import { transactionIdFor } from "../adapters/payment-provider";
import { receiveStripe } from "./webhooks.service";

/** A Stripe-Signature header for `rawBody` at `t` (seconds). */
export async function stripeSignature(secret: string, rawBody: string, t: number): Promise<string> {
  return `t=${t},v1=${await hmacHex(secret, `${t}.${rawBody}`)}`;
}

export interface SandboxPayInput {
  outcome?: "succeeded" | "failed";
  /** false: the provider "loses" the notification; the reconciliation job finds the payment by query. */
  notify?: boolean;
}

/** Pays (or fails) the caller's sandbox payment as a customer would in the provider's sheet. */
export async function sandboxPay(env: Env, customerId: string, paymentId: string, input: SandboxPayInput) {
  if (!config(env).SANDBOX_WEBHOOK_SECRET) throw notFound("Payment");
  const db = getDb(env);
  const p = await findPayment(db, paymentId);
  if (!p || p.customerId !== customerId || p.provider !== "sandbox") throw notFound("Payment");
  const trade = await getLocalRecord(db, p.id);
  if (!trade || p.status !== "pending" || trade.state !== "NOTPAY") {
    throw AppError.of("PAYMENT_NOT_PENDING", {}, { extra: { status: p.status } });
  }
  const outcome = input.outcome ?? "succeeded";
  const charge = transactionIdFor("sandbox");
  await setLocalState(db, p.id, outcome === "succeeded" ? "SUCCESS" : "NOTPAY", { ...trade.data, transactionId: charge });
  if (input.notify !== false) {
    const event = {
      id: newId("evt_sbx"),
      object: "event",
      type: outcome === "succeeded" ? "payment_intent.succeeded" : "payment_intent.payment_failed",
      created: Math.floor(Date.now() / 1000),
      data: {
        object: {
          id: p.providerRef,
          object: "payment_intent",
          amount: p.amount,
          amount_received: outcome === "succeeded" ? p.amount : 0,
          currency: p.currency.toLowerCase(),
          status: outcome === "succeeded" ? "succeeded" : "requires_payment_method",
          latest_charge: charge,
          metadata: { paymentId: p.id, orderId: p.orderId },
        },
      },
    };
    const raw = JSON.stringify(event);
    const outcomeOfWebhook = await receiveStripe(
      env,
      "sandbox",
      raw,
      await stripeSignature(config(env).SANDBOX_WEBHOOK_SECRET, raw, Math.floor(Date.now() / 1000)),
    );
    if (!outcomeOfWebhook.ok) throw new Error(`sandbox webhook refused: ${outcomeOfWebhook.reason}`);
  }
  return { paymentId: p.id, outcome, notified: input.notify !== false };
}
