// Dispatch settings: the weights are editable by operators (weights.js); the rest are deployment variables.
import { api } from "./api.js";
import { html, useApp, useAsync, Loading, Action } from "./ui.js";
import { WeightsEditor } from "./weights.js";
import { SurgeSettings } from "./surge-settings.js";

export function DispatchSettings() {
  const { t, isPlatform, cityId } = useApp();
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
            <${WeightsEditor} settings=${d} onChanged=${s.reload} />
          </div>
        </div>`;
      }}<//
    >
    <${MerchantDispatch} />
    ${isPlatform && html`<${SurgeSettings} key=${cityId} />`}
  </section>`;
}

/** Per merchant: whether its orders may go to platform technicians after its own (operators change it; audited). */
function MerchantDispatch() {
  const { t, isPlatform } = useApp();
  const list = useAsync(() => api("/v1/admin/merchants?limit=100"), []);
  const toggle = async (m) => {
    await api(`/v1/admin/merchants/${m.id}`, { method: "PATCH", body: { platformTechnicians: !m.platformTechnicians } });
    list.reload();
  };
  return html`<h2>${t("merchantDispatch")}</h2>
    <p class="muted">${t("merchantDispatchHint")}</p>
    <${Loading} state=${list}
      >${() =>
        html`<table class="kv" data-testid="merchant-dispatch">
          ${list.data.items.map(
            (m) =>
              html`<tr data-merchant=${m.id}>
                <th>${m.name}</th>
                <td>${m.platformTechnicians ? t("ownThenPlatform") : t("ownOnly")}</td>
                <td>
                  ${
                    isPlatform &&
                    html`<${Action}
                      label=${m.platformTechnicians ? t("ownOnly") : t("ownThenPlatform")}
                      run=${() => toggle(m)}
                      testid=${`platform-technicians-${m.id}`}
                    />`
                  }
                </td>
              </tr>`,
          )}
        </table>`}<//
    >`;
}
