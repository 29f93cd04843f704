// Reports with charts, each with its CSV export: peak hours, hot cells, sales (the order value of
// completed visits; the ledger's revenue is on the money screen), booking-to-accept time,
// acceptance and cancellation rates, technician utilisation.
import { useState } from "preact/hooks";
import { api, download } from "./api.js";
import { Bars, Columns } from "./charts.js";
import { html, useApp, useAsync, Action, Loading, money, today } from "./ui.js";

export function Reports() {
  const { t, city, cityId, isPlatform } = useApp();
  const tz = city?.timeZone ?? "Asia/Shanghai";
  const [range, setRange] = useState({ from: today(tz, -27), to: today(tz, 14) });
  const [by, setBy] = useState("day");
  const q = `city=${cityId}&from=${range.from}&to=${range.to}`;
  /** @typedef {"orders-by-hour" | "hot-cells" | "sales" | "accept-time" | "rates" | "utilisation"} ReportName */
  /** @param {ReportName} name */
  const get = (name, extra = "") => useAsync(() => api(`/v1/admin/reports/${name}?${q}${extra}`), [q, extra]);
  const heat = get("orders-by-hour");
  const hot = get("hot-cells");
  const revenue = get("sales", `&by=${by}`);
  const accept = get("accept-time");
  const rates = get("rates");
  const use = get("utilisation");
  // Forecast accuracy (operators and admins): the nightly forecasts against the orders that then started.
  const forecast = useAsync(
    () => (isPlatform ? api(`/v1/admin/reports/forecast-accuracy?city=${cityId}&weeks=4`) : Promise.resolve(null)),
    [cityId, isPlatform],
  );
  // Pre-position suggestions: the next hours' forecast against technicians on shift (a merchant admin's: its own technicians).
  const preposition = useAsync(() => api(`/v1/admin/cities/${cityId}/prepositions?hours=6`), [cityId]);
  /** @param {ReportName} name */
  const csv = (name, extra = "") =>
    html`<${Action}
      label=${t("csv")}
      kind="ghost"
      run=${() => download(`/v1/admin/reports/${name}?${q}${extra}&format=csv`, `${name}.csv`)}
      testid=${`csv-${name}`}
    />`;
  const set = (k) => (e) => setRange({ ...range, [k]: e.currentTarget.value });
  return html`<section class="reports">
    <h1>${t("reports")}</h1>
    <div class="filters">
      <label>${t("from")}<input type="date" value=${range.from} onChange=${set("from")} /></label>
      <label>${t("to")}<input type="date" value=${range.to} onChange=${set("to")} /></label>
    </div>
    <div class="cards">
      <article class="card wide">
        <header>
          <h2>${t("heatmap")}</h2>
          ${csv("orders-by-hour")}
        </header>
        <${Loading} state=${heat}>${() => html`<${Heatmap} rows=${heat.data.rows} />`}<//>
      </article>
      <article class="card">
        <header>
          <h2>${t("sales")}</h2>
          <select value=${by} onChange=${(e) => setBy(e.currentTarget.value)}>
            <option value="day">${t("byDay")}</option>
            <option value="merchant">${t("byMerchant")}</option>
            <option value="service">${t("byService")}</option></select
          >${csv("sales", `&by=${by}`)}
        </header>
        <${Loading} state=${revenue}
          >${() =>
            html`<p class="big">${money(revenue.data.totals.revenue)} <span class="muted small">· ${revenue.data.totals.orders}</span></p>
              ${
                by === "day"
                  ? html`<${Columns}
                      items=${revenue.data.rows.map((r) => ({ label: r.key.slice(5), value: r.revenue, title: money(r.revenue) }))}
                    />`
                  : html`<${Bars}
                      items=${revenue.data.rows.slice(0, 10).map((r) => ({ label: r.label, value: r.revenue, text: money(r.revenue) }))}
                    />`
              }`}<//
        >
      </article>
      <article class="card">
        <header>
          <h2>${t("hotCells")}</h2>
          ${csv("hot-cells")}
        </header>
        <${Loading} state=${hot}
          >${() => html`<${Bars} items=${hot.data.rows.slice(0, 10).map((r) => ({ label: r.cell, value: r.orders, text: String(r.orders) }))} mono />`}<//
        >
      </article>
      <article class="card">
        <header>
          <h2>${t("acceptTime")}</h2>
          ${csv("accept-time")}
        </header>
        <${Loading} state=${accept}
          >${() =>
            html`<p class="big">
                ${t("median")} ${accept.data.totals.medianSeconds ?? "—"}${t("seconds")}
                <span class="muted small"
                  >p90 ${accept.data.totals.p90Seconds ?? "—"}${t("seconds")} · n=${accept.data.totals.accepted}</span
                >
              </p>
              <${Columns}
                items=${accept.data.rows.map((r) => ({ label: r.upToSeconds === null ? ">1d" : r.upToSeconds < 3600 ? `≤${r.upToSeconds / 60}m` : `≤${r.upToSeconds / 3600}h`, value: r.orders, title: String(r.orders) }))}
              />`}<//
        >
      </article>
      <article class="card">
        <header>
          <h2>${t("rates")}</h2>
          ${csv("rates")}
        </header>
        <${Loading} state=${rates}
          >${() =>
            html`<p class="big">
                ${t("acceptance")} ${pct(rates.data.totals.acceptanceRate)} · ${t("cancellation")}
                ${pct(rates.data.totals.cancellationRate)}
              </p>
              <${Columns}
                items=${rates.data.rows.map((r) => ({ label: r.date.slice(5), value: r.orders, title: `${r.orders} · ${pct(r.acceptanceRate)} / ${pct(r.cancellationRate)}` }))}
              />`}<//
        >
      </article>
      <article class="card">
        <header>
          <h2>${t("utilisation")}</h2>
          ${csv("utilisation")}
        </header>
        <${Loading} state=${use}
          >${() =>
            html`<p class="big">${pct(use.data.totals.utilisation)}</p>
              <${Bars}
                items=${use.data.rows.slice(0, 12).map((r) => ({ label: r.name, value: r.utilisation ?? 0, text: pct(r.utilisation) }))}
                max=${1}
              />`}<//
        >
      </article>
      ${
        isPlatform &&
        html`<article class="card" data-testid="forecast-card">
          <header>
            <h2>${t("forecastAccuracy")}</h2>
            <${Action}
              label=${t("csv")}
              kind="ghost"
              run=${() => download(`/v1/admin/reports/forecast-accuracy?city=${cityId}&weeks=4&format=csv`, "forecast-accuracy.csv")}
              testid="csv-forecast-accuracy"
            />
          </header>
          <${Loading} state=${forecast}
            >${() =>
              html`<p class="big">
                  MAPE <span data-testid="forecast-mape">${mapeText(forecast.data.totals.mape)}</span>
                  <span class="muted small"
                    >· ${t("forecastOrders")} ${forecast.data.totals.forecast} / ${t("actualOrders")} ${forecast.data.totals.actual}</span
                  >
                </p>
                <${Bars}
                  mono
                  items=${forecast.data.rows.slice(0, 12).map((r) => ({
                    label: r.cell,
                    value: r.mape ?? 0,
                    text: `${mapeText(r.mape)} (${r.forecast} / ${r.actual})`,
                  }))}
                />`}<//
          >
        </article>`
      }
      <${Prepositions} state=${preposition} merchant=${!isPlatform} />
    </div>
  </section>`;
}

/**
 * The pre-position card: per hour with a shortfall, the moves suggested (places named from the city
 * centre). A merchant admin's card offers only moves of its own technicians against the city's shortfall.
 */
function Prepositions({ state, merchant }) {
  const { t, lang } = useApp();
  const place = (l) => l[lang] ?? l.en;
  return html`<article class="card wide" data-testid="preposition-card" data-scope=${merchant ? "merchant" : "city"}>
    <header><h2>${t(merchant ? "pp_title_merchant" : "pp_title")}</h2></header>
    <p class="muted small">${t(merchant ? "pp_hint_merchant" : "pp_hint")}</p>
    <${Loading} state=${state}
      >${() => {
        const hours = state.data.hours.filter((h) => h.moves.length > 0 || h.cells.some((c) => c.shortfall > 0));
        return html`<p class="big">
            ${t("pp_shortfall")} <span data-testid="preposition-shortfall">${state.data.totals.shortfall}</span>
            <span class="muted small">· ${t("pp_moved")} ${state.data.totals.moved}</span>
          </p>
          ${
            hours.length === 0
              ? html`<p class="muted" data-testid="preposition-none">${t("pp_none")}</p>`
              : html`<ul class="plain" data-testid="preposition-hours">
                  ${hours.map(
                    (h) =>
                      html`<li>
                        <strong>${h.start.slice(11, 16)}</strong>
                        <ul>
                          ${h.moves.map(
                            (m) =>
                              html`<li data-testid="preposition-move">
                                ${t("pp_move")
                                  .replace("{n}", String(m.technicians))
                                  .replace("{from}", place(m.fromLabel))
                                  .replace("{to}", place(m.toLabel))
                                  .replace("{km}", String(m.distanceKm))}
                              </li>`,
                          )}
                          ${h.cells
                            .filter((c) => c.shortfall > 0)
                            .map((c) => {
                              const moved = h.moves.filter((m) => m.to === c.cell).reduce((s, m) => s + m.technicians, 0);
                              return c.shortfall > moved
                                ? html`<li class="muted">
                                    ${place(c.label)}: ${t("pp_unmet").replace("{n}", String(c.shortfall - moved))}
                                  </li>`
                                : null;
                            })}
                        </ul>
                      </li>`,
                  )}
                </ul>`
          }`;
      }}<//
    >
  </article>`;
}

const mapeText = (m) => (m === null || m === undefined ? "—" : `${m}%`);

const pct = (r) => (r === null || r === undefined ? "—" : `${(r * 100).toFixed(1)}%`);

function Heatmap({ rows }) {
  const { t } = useApp();
  const max = Math.max(1, ...rows.map((r) => r.orders));
  const days = t("weekdays").split(",");
  return html`<div class="heatmap" data-testid="heatmap">
    <span></span>${Array.from({ length: 24 }, (_, h) => html`<span class="hh">${h % 3 === 0 ? h : ""}</span>`)}
    ${days.map(
      (d, i) =>
        html`<span class="hd">${d}</span>${rows
            .filter((r) => r.weekday === i + 1)
            .map(
              (r) =>
                html`<span
                  class="hc"
                  title=${`${d} ${r.hour}:00 · ${r.orders}`}
                  style=${{ opacity: 0.08 + (r.orders / max) * 0.92 }}
                ></span>`,
            )}`,
    )}
  </div>`;
}
