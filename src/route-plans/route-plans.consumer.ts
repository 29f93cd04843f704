/** The route-plans queue: each message names a queued plan; building it stores the proposal or `failed`. */
import { buildPlan } from "./route-plans.service";

export async function consumeRoutePlans(batch: MessageBatch, env: Env): Promise<void> {
  for (const msg of batch.messages) {
    const body = msg.body as { planId?: unknown };
    if (typeof body?.planId === "string") await buildPlan(env, body.planId);
    msg.ack();
  }
}
