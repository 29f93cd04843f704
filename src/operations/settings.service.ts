/** The dispatch configuration in force, for the dashboard's settings view. */
import { config } from "../config";
import { weightsInForce } from "../dispatch";

/**
 * The weights may be changed from the dashboard (PUT /v1/admin/settings/dispatch/weights); the rest
 * are deployment variables (wrangler.toml `[vars]`), changed by a deploy.
 */
export async function dispatchSettings(env: Env) {
  const c = config(env);
  const weights = await weightsInForce(env);
  return {
    weights: weights.weights,
    weightsSource: weights.source,
    weightsUpdatedAt: weights.updatedAt,
    deploymentWeights: c.DISPATCH_WEIGHTS,
    acceptDeadlineSeconds: c.ACCEPT_DEADLINE_SECONDS,
    grabDeadlineSeconds: c.GRAB_DEADLINE_SECONDS,
    enRouteLeadMinutes: c.EN_ROUTE_LEAD_MINUTES,
    holdTtlSeconds: c.HOLD_TTL_SECONDS,
    maxRounds: c.DISPATCH_MAX_ROUNDS,
    candidatesKept: c.DISPATCH_CANDIDATES,
    availabilityRing: c.AVAILABILITY_RING,
    travel: { roadFactor: c.TRAVEL_ROAD_FACTOR, speedKmh: c.TRAVEL_SPEED_KMH, bufferMinutes: c.TRAVEL_BUFFER_MINUTES },
    presenceTimeoutSeconds: c.PRESENCE_TIMEOUT_SECONDS,
    geofenceMeters: c.GEOFENCE_METERS,
    h3Resolution: c.H3_RESOLUTION,
  };
}
