/** The dispatch configuration in force (Worker variables), for the dashboard's settings view. */
import { travelModelOf } from "../domain/calendar";
import { parseWeights } from "../domain/dispatch";
import { resolutionOf } from "../domain/geo";
import { acceptDeadlineMs, enRouteLeadMs, grabDeadlineMs, holdTtlMs, maxRounds, positive } from "../dispatch/dispatch.service";

/** Read-only: these are deployment variables (wrangler.toml `[vars]`), changed by a deploy. */
export function dispatchSettings(env: Env) {
  return {
    weights: parseWeights(env.DISPATCH_WEIGHTS),
    acceptDeadlineSeconds: acceptDeadlineMs(env) / 1000,
    grabDeadlineSeconds: grabDeadlineMs(env) / 1000,
    enRouteLeadMinutes: enRouteLeadMs(env) / 60_000,
    holdTtlSeconds: holdTtlMs(env) / 1000,
    maxRounds: maxRounds(env),
    candidatesKept: positive(env.DISPATCH_CANDIDATES, 10),
    availabilityRing: positive(env.AVAILABILITY_RING, 1),
    travel: travelModelOf(env as unknown as Partial<Record<string, string>>),
    presenceTimeoutSeconds: positive(env.PRESENCE_TIMEOUT_SECONDS, 90),
    geofenceMeters: positive(env.GEOFENCE_METERS, 300),
    h3Resolution: resolutionOf(env),
  };
}
