// Operating metrics for operators: a city's bookings, dispatch outcomes, webhook failures, queue lag and
// exception queue per hour (GET /v1/admin/metrics, read from the D1 rollup), with the recent alerts.
import { useState } from "preact/hooks";
import { api } from "./api.js";
import { Columns } from "./charts.js";
import { html, useApp, useAsync, ListTable, Loading, when } from "./ui.js";

const sum = (hours, pick) => hours.reduce((s, h) => s + (pick(h) ?? 0), 0);
const hourLabel = (iso, timeZone) =>
  new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone }).format(new Date(iso));

export function Operations() {
  const { t, cityId, city } = useApp();
  const [hours, setHours] = useState(24);
  const state = useAsync(() => api(`/v1/admin/metrics?cityId=${encodeURIComponent(cityId)}&hours=${hours}`), [cityId, hours]);
  return html`<section>
    <h1>${t("operations")}</h1>
    <p class="muted small">${t("operationsHelp")}</p>
    <div class="filters">
      <label
        >${t("period")}
        <select name="hours" value=${hours} onChange=${(e) => setHours(Number(e.currentTarget.value))}>
          ${[6, 24, 72, 168].map((h) => html`<option value=${h}>${t("lastHours").replace("{n}", String(h))}</option>`)}
        </select></label
      >
    </div>
    <${Loading} state=${state}
      >${() => {
        const m = state.data;
        const tz = city?.timeZone;
        const dispatchTotals = {};
        for (const h of m.hours) for (const [k, v] of Object.entries(h.dispatch)) dispatchTotals[k] = (dispatchTotals[k] ?? 0) + v;
        const lagMax = Math.max(0, ...m.hours.map((h) => h.queueLagMsMax ?? 0));
        const tiles = [
          ["bookings", t("metricBookings"), sum(m.hours, (h) => h.bookings)],
          ["dispatch", t("metricDispatch"), sum(m.hours, (h) => Object.values(h.dispatch).reduce((a, b) => a + b, 0))],
          ["webhookFailures", t("metricWebhookFailures"), sum(m.hours, (h) => h.webhookFailures)],
          ["queueLag", t("metricQueueLagMax"), `${lagMax} ms`],
          ["exceptionQueue", t("metricExceptionQueue"), m.exceptionQueueNow],
        ];
        return html`<div class="tiles" data-testid="metric-tiles">
            ${tiles.map(([k, label, value]) => html`<div class="tile" data-metric=${k}><span class="muted small">${label}</span><b>${value}</b></div>`)}
          </div>
          <h2>${t("metricBookings")}</h2>
          <${Columns} items=${m.hours.map((h) => ({ label: hourLabel(h.hour, tz), value: h.bookings, title: String(h.bookings) }))} />
          <h2>${t("metricDispatch")}</h2>
          <ul class="small" data-testid="dispatch-outcomes">
            ${
              Object.keys(dispatchTotals).length === 0
                ? html`<li class="muted">${t("empty")}</li>`
                : Object.entries(dispatchTotals).map(([k, v]) => html`<li data-outcome=${k}><span class="mono">${k}</span>: ${v}</li>`)
            }
          </ul>
          <h2>${t("alerts")}</h2>
          <${ListTable}
            items=${m.alerts}
            testid="alerts"
            heads=${[t("alertKind"), t("details"), { label: t("occurrences"), num: true }, t("lastSeen")]}
            >${(a) =>
              html`<tr key=${a.key} data-alert=${a.kind}>
                <td>${t(`alert_${a.kind}`)}</td>
                <td class="small mono">
                  ${Object.entries(a.details)
                    .filter(([, v]) => typeof v !== "object")
                    .map(([k, v]) => `${k}=${v}`)
                    .join(" ")}
                </td>
                <td class="num">${a.occurrences}</td>
                <td class="small">${when(a.lastAt, tz)}</td>
              </tr>`}<//
          >`;
      }}<//
    >
  </section>`;
}
