/**
 * The route-plans queue: a `{ planId }` message names a queued team plan, building it stores the
 * proposal or `failed`; a `{ dayPlan }` message names a technician's day to plan (src/routing).
 */
import { buildDayPlan } from "../routing";
import { buildPlan } from "./route-plans.service";

export async function consumeRoutePlans(batch: MessageBatch, env: Env): Promise<void> {
  for (const msg of batch.messages) {
    const body = msg.body as { planId?: unknown; dayPlan?: { technicianId?: unknown; date?: unknown } };
    if (typeof body?.planId === "string") await buildPlan(env, body.planId);
    else if (typeof body?.dayPlan?.technicianId === "string" && typeof body.dayPlan.date === "string")
      await buildDayPlan(env, body.dayPlan.technicianId, body.dayPlan.date);
    msg.ack();
  }
}
