// Dispatch settings (read-only: deployment variables).
import { api } from "./api.js";
import { html, useApp, useAsync, Loading } from "./ui.js";

export function DispatchSettings() {
  const { t } = useApp();
  const s = useAsync(() => api("/v1/admin/settings/dispatch"), []);
  return html`<section>
    <h1>${t("settings")}</h1>
    <p class="muted">${t("readOnly")}</p>
    <${Loading} state=${s}
      >${() => {
        const d = s.data;
        const rows = [
          ["ACCEPT_DEADLINE_SECONDS", d.acceptDeadlineSeconds],
          ["GRAB_DEADLINE_SECONDS", d.grabDeadlineSeconds],
          ["EN_ROUTE_LEAD_MINUTES", d.enRouteLeadMinutes],
          ["HOLD_TTL_SECONDS", d.holdTtlSeconds],
          ["DISPATCH_MAX_ROUNDS", d.maxRounds],
          ["DISPATCH_CANDIDATES", d.candidatesKept],
          ["AVAILABILITY_RING", d.availabilityRing],
          ["TRAVEL_ROAD_FACTOR", d.travel.roadFactor],
          ["TRAVEL_SPEED_KMH", d.travel.speedKmh],
          ["TRAVEL_BUFFER_MINUTES", d.travel.bufferMinutes],
          ["PRESENCE_TIMEOUT_SECONDS", d.presenceTimeoutSeconds],
          ["GEOFENCE_METERS", d.geofenceMeters],
          ["H3_RESOLUTION", d.h3Resolution],
        ];
        return html`<div class="two-col">
          <table class="kv" data-testid="settings">
            ${rows.map(
              ([k, v]) =>
                html`<tr>
                  <th class="mono">${k}</th>
                  <td class="num">${v}</td>
                </tr>`,
            )}
          </table>
          <div>
            <h2>${t("weights")}</h2>
            <ul class="bars">
              ${Object.entries(d.weights).map(
                ([k, v]) =>
                  html`<li>
                    <span class="bl">${k}</span><span class="bt"><span class="bf" style=${{ width: `${v * 100}%` }}></span></span
                    ><span class="bv">${v}</span>
                  </li>`,
              )}
            </ul>
          </div>
        </div>`;
      }}<//
    >
  </section>`;
}
