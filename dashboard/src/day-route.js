/* global clearTimeout -- the browser's */
// A technician's day route in the technician drawer: pick a local date, see the day's jobs in order
// from home back home with their legs, ETAs, late risks and links to the map apps; with
// flexible-window jobs, the state of the day's plan (built off the request) and its route once ready.
import { useEffect, useState } from "preact/hooks";
import { api } from "./api.js";
import { html, localName, useApp, useAsync, Badge, Loading } from "./ui.js";

const APPS = ["amap", "baidu", "apple", "google"];
/** How often a day being planned is read again. */
const POLL_MS = 1500;
/** "HH:MM" of a zoned ISO time (the answer already carries the city's offset). */
const clock = (iso) => (iso ? iso.slice(11, 16) : "—");
const tomorrow = () => new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

export function DayRouteView({ id }) {
  const { t, lang } = useApp();
  const [date, setDate] = useState(tomorrow());
  const route = useAsync(() => api(`/v1/admin/technicians/${id}/route?date=${date}`), [id, date]);
  // Read a day being planned again until its plan is stored.
  const planning = route.data?.proposalStatus === "planning";
  useEffect(() => {
    if (!planning || route.loading) return undefined;
    const timer = setTimeout(route.reload, POLL_MS);
    return () => clearTimeout(timer);
  }, [planning, route.loading, route.reload]);
  return html`<h3>${t("route_title")}</h3>
    <label
      >${t("route_date")}
      <input type="date" name="routeDate" value=${date} onChange=${(e) => e.currentTarget.value && setDate(e.currentTarget.value)}
    /></label>
    <${Loading} state=${route}
      >${() =>
        route.data.stops.length === 0
          ? html`<p class="muted">${t("route_noJobs")}</p>`
          : html`<p class="small">
                ${t("route_leaveHome")} ${clock(route.data.leaveHomeAt)} · ${t("route_backHome")} ${clock(route.data.home?.eta)} ·
                ${route.data.totals.distanceKm} km · ${route.data.totals.travelMinutes} ${t("route_minutes")}
              </p>
              <div class="table-wrap">
                <table data-testid="day-route">
                  <thead>
                    <tr>
                      <th>#</th>
                      <th>${t("route_order")}</th>
                      <th>${t("status")}</th>
                      <th>${t("route_planned")}</th>
                      <th>${t("route_eta")}</th>
                      <th>${t("route_leg")}</th>
                      <th>${t("route_open")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${route.data.stops.map(
                      (s, i) =>
                        html`<tr key=${s.orderId} data-order-id=${s.orderId}>
                          <td class="num">${i + 1}</td>
                          <td class="mono small">${s.orderId}</td>
                          <td><${Badge} value=${s.status} /></td>
                          <td>
                            ${clock(s.plannedStart)}–${clock(s.plannedEnd)}
                            ${
                              s.proposedStart &&
                              html`<span class="badge" data-testid="route-proposed" title=${t("route_proposed")}
                                >${t("route_proposed")} ${clock(s.proposedStart)}</span
                              >`
                            }
                          </td>
                          <td>${clock(s.eta)} ${s.lateRisk && html`<span class="badge warn">${t("route_late")}</span>`}</td>
                          <td class="num">${s.distanceKm} km · ${s.travelMinutes} ${t("route_minutes")}</td>
                          <td>
                            ${APPS.map(
                              (app) =>
                                html`<a href=${s.links[app]} target="_blank" rel="noopener" class="small">${t(`route_app_${app}`)}</a> `,
                            )}
                          </td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>
              ${route.data.stops.some((s) => s.window) && html`<${ProposalView} route=${route.data} t=${t} lang=${lang} />`}`}<//
    >`;
}

/** The day plan's state in the user's language and, once ready, the re-planned route. */
function ProposalView({ route, t, lang }) {
  const p = route.proposal;
  return html`<p class="small">
      ${t("route_plan")}: <strong data-testid="route-proposal-status">${localName(route.proposalStatusText, lang)}</strong>
    </p>
    ${
      p &&
      html`<p class="small" data-testid="route-proposal">
          ${t("route_saves")} ${p.savedMinutes} ${t("route_minutes")} · ${p.totals.distanceKm} km · ${p.totals.travelMinutes}
          ${t("route_minutes")}
        </p>
        <ol class="small" data-testid="route-proposal-stops">
          ${p.stops.map(
            (s) =>
              html`<li key=${s.orderId} data-order-id=${s.orderId}>
                <span class="mono">${s.orderId}</span> ${clock(s.plannedStart)}–${clock(s.plannedEnd)}
                ${s.moved && html`<span class="badge">${t("route_moved")}</span>`}
              </li>`,
          )}
        </ol>`
    }`;
}
