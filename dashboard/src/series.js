// Recurring visits: the series staff look after (a merchant_admin its merchant's, operators all),
// each with its visits (booked, could not be booked with the alternatives, skipped, cancelled);
// create a weekly series for a customer, skip one visit, pause and resume a series. Every visit is
// an order booked through the cell; skipping and pausing cancel under the service's policy.
import { useState } from "preact/hooks";
import { api } from "./api.js";
import { Form, num, optional } from "./forms.js";
import { html, useApp, useAsync, ErrorNote, Loading, ListTable, localName } from "./ui.js";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/** `2026-12-07T09:00:00+01:00` → `12-07 09:00` (the series' own wall clock, as the API gives it). */
const wallClock = (iso) => `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;

export function Series() {
  const { t, lang, services } = useApp();
  const list = useAsync(() => api("/v1/series?limit=100"), []);
  const unbookable = useAsync(() => api("/v1/admin/series/unbookable?limit=100"), []);
  const serviceName = (id) => {
    const found = services.find((x) => x.id === id);
    return found ? localName(found.name, lang) : "";
  };
  const [error, setError] = useState(null);
  /** @param {() => Promise<unknown>} call */
  const act = async (call) => {
    setError(null);
    try {
      await call();
      list.reload();
      unbookable.reload();
    } catch (err) {
      setError(err);
    }
  };
  return html`<section data-screen="series">
    <h2>${t("sr_title")}</h2>
    <p class="muted">${t("sr_hint")}</p>
    <${ErrorNote} error=${error} />
    <h3>${t("sr_unbookable")}</h3>
    <${Loading} state=${unbookable}
      >${() =>
        unbookable.data.items.length === 0
          ? html`<p class="muted" data-testid="unbookable-none">${t("sr_unbookable_none")}</p>`
          : html`<${ListTable}
              items=${unbookable.data.items}
              heads=${[t("sr_time"), t("sr_service"), t("sr_problem"), t("sr_alternatives")]}
              testid="unbookable-table"
              >${(v) =>
                html`<tr key=${v.id} data-unbookable=${v.id}>
                  <td>${wallClock(v.start)} <small class="muted">${v.timeZone}</small></td>
                  <td>${serviceName(v.serviceId)}</td>
                  <td>${v.problemText ? localName(v.problemText, lang) : ""}</td>
                  <td>
                    ${v.alternatives.length === 0 && html`<span class="muted">${t("sr_no_alternatives")}</span>`}
                    ${v.alternatives.map(
                      (a, i) =>
                        html`<button
                          key=${i}
                          class="link"
                          data-testid=${`book-${v.id}-${i}`}
                          onClick=${() =>
                            act(() =>
                              api(`/v1/series/${v.seriesId}/visits/${v.date}/reschedule`, {
                                method: "POST",
                                body: { start: a.start, technicianId: a.technicianId },
                              }),
                            )}
                        >
                          ${t("sr_book_this")} ${wallClock(a.start)}
                        </button> `,
                    )}
                  </td>
                </tr>`}<//
            >`}<//
    >
    <h3>${t("sr_all")}</h3>
    <${Loading} state=${list}
      >${() =>
        html`<${ListTable}
          items=${list.data.items}
          heads=${[t("sr_rule"), t("sr_time"), t("status"), t("sr_visits"), ""]}
          testid="series-table"
          >${(s) =>
            html`<tr key=${s.id} data-series=${s.id} data-status=${s.status}>
              <td>
                <span class="mono">${s.rrule}</span><br /><small class="muted"
                  >${s.startDate}${s.untilDate ? ` → ${s.untilDate}` : ""}</small
                >
              </td>
              <td>${s.timeOfDay} <small class="muted">${s.timeZone}</small></td>
              <td>${localName(s.statusText, lang)}</td>
              <td>
                <ul class="plain">
                  ${s.visits.map(
                    (v) =>
                      html`<li key=${v.id} data-visit=${v.date} data-visit-status=${v.status}>
                        ${wallClock(v.start)} · ${localName(v.statusText, lang)}
                        ${v.problemText && html`<small class="muted"> (${localName(v.problemText, lang)})</small>`}
                        ${
                          v.alternatives.length > 0 &&
                          html`<small> ${t("sr_alternatives")}: ${v.alternatives.map((a) => wallClock(a.start)).join(", ")}</small>`
                        }
                        ${
                          (v.status === "booked" || v.status === "unbookable") &&
                          html` <button
                            class="link"
                            data-testid=${`skip-${s.id}-${v.date}`}
                            onClick=${() => act(() => api(`/v1/series/${s.id}/visits/${v.date}/skip`, { method: "POST", body: {} }))}
                          >
                            ${t("sr_skip")}
                          </button>`
                        }
                      </li>`,
                  )}
                </ul>
              </td>
              <td>
                ${
                  s.status === "active" &&
                  html`<button
                    class="link"
                    data-testid=${`pause-${s.id}`}
                    onClick=${() => act(() => api(`/v1/series/${s.id}/pause`, { method: "POST", body: {} }))}
                  >
                    ${t("sr_pause")}
                  </button>`
                }
                ${
                  s.status === "paused" &&
                  html`<button
                    class="link"
                    data-testid=${`resume-${s.id}`}
                    onClick=${() => act(() => api(`/v1/series/${s.id}/resume`, { method: "POST", body: {} }))}
                  >
                    ${t("sr_resume")}
                  </button>`
                }
              </td>
            </tr>`}<//
        >`}<//
    >
    <h3>${t("sr_new")}</h3>
    <${Form}
      testid="series-create"
      reset
      submitLabel=${t("create")}
      fields=${[
        { key: "customerId", label: t("sr_customer"), attrs: { placeholder: "acc_…" } },
        { key: "addressId", label: t("sr_address"), attrs: { placeholder: "adr_…" } },
        { key: "serviceId", label: t("sr_service"), type: "select", options: services.map((s) => [s.id, localName(s.name, lang)]) },
        { key: "day", label: t("sr_day"), type: "select", options: DAYS.map((d) => [d, t(`sr_day_${d}`)]), path: "body.rule" },
        { key: "interval", label: t("sr_every"), attrs: { inputmode: "numeric" }, path: "body.rule.interval" },
        { key: "timeOfDay", label: t("sr_time"), type: "time" },
        { key: "startDate", label: t("sr_start"), type: "date" },
        { key: "count", label: t("sr_count"), attrs: { inputmode: "numeric" } },
        { key: "preferredTechnicianId", label: t("sr_technician"), attrs: { placeholder: "tch_…" } },
      ]}
      initial=${{ serviceId: services[0]?.id ?? "", day: "mon", interval: "1", timeOfDay: "09:00", count: "4" }}
      submit=${(v) =>
        api("/v1/series", {
          method: "POST",
          body: {
            customerId: v.customerId.trim(),
            addressId: v.addressId.trim(),
            serviceId: v.serviceId,
            timeOfDay: v.timeOfDay,
            rule: { freq: "weekly", interval: num(v.interval || "1"), byDay: [v.day] },
            startDate: v.startDate,
            count: optional(v.count, num),
            preferredTechnicianId: v.preferredTechnicianId.trim() || null,
          },
        })}
      onDone=${list.reload}
    />
  </section>`;
}
