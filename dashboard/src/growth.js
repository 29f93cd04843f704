// Growth and satisfaction: new and active customers per day or week with the repeat rate, monthly
// cohort retention, the NPS of the satisfaction survey by day, week, service, merchant or
// technician (counts shown, so a small sample is visible), each with its CSV; operators also set
// the survey's questions here. Merchant admins see their own merchant's figures.
import { useState } from "preact/hooks";
import { api, download } from "./api.js";
import { Bars, Columns } from "./charts.js";
import { Form, num } from "./forms.js";
import { html, useApp, useAsync, Action, Badge, ListTable, Loading, money, today } from "./ui.js";

const pct = (r) => (r === null || r === undefined ? "—" : `${(r * 100).toFixed(1)}%`);
const score = (n) => (n === null || n === undefined ? "—" : String(n));

export function Growth() {
  const { t, lang, city, cityId, isPlatform } = useApp();
  const tz = city?.timeZone ?? "Asia/Shanghai";
  const [range, setRange] = useState({ from: today(tz, -89), to: today(tz, 14) });
  const [where, setWhere] = useState("city");
  const [period, setPeriod] = useState("week");
  const [by, setBy] = useState("day");
  const q = `${where === "city" ? `city=${cityId}&` : ""}from=${range.from}&to=${range.to}`;
  const growth = useAsync(() => api(`/v1/admin/reports/customer-growth?${q}&period=${period}`), [q, period]);
  const cohorts = useAsync(() => api(`/v1/admin/reports/cohorts?${q}`), [q]);
  const nps = useAsync(() => api(`/v1/admin/reports/survey?${q}&by=${by}`), [q, by]);
  const campaigns = useAsync(() => api(`/v1/admin/reports/campaign-return?${q}`), [q]);
  const csv = (name, extra = "") =>
    html`<${Action}
      label=${t("csv")}
      kind="ghost"
      run=${() => download(`/v1/admin/reports/${name}?${q}${extra}&format=csv`, `${name}.csv`)}
      testid=${`csv-${name}`}
    />`;
  const set = (k) => (e) => setRange({ ...range, [k]: e.currentTarget.value });
  return html`<section class="reports" data-screen="growth">
    <h1>${t("growth")}</h1>
    <div class="filters">
      <label>${t("from")}<input type="date" name="from" value=${range.from} onChange=${set("from")} /></label>
      <label>${t("to")}<input type="date" name="to" value=${range.to} onChange=${set("to")} /></label>
      <label
        >${t("g_scope")}
        <select name="scope" value=${where} onChange=${(e) => setWhere(e.currentTarget.value)}>
          <option value="city">${city?.name ?? t("g_thisCity")}</option>
          <option value="all">${t("g_allCities")}</option>
        </select></label
      >
    </div>
    <div class="cards">
      <article class="card" data-testid="growth-card">
        <header>
          <h2>${t("g_customers")}</h2>
          <select name="period" value=${period} onChange=${(e) => setPeriod(e.currentTarget.value)}>
            <option value="day">${t("byDay")}</option>
            <option value="week">${t("g_byWeek")}</option></select
          >${csv("customer-growth", `&period=${period}`)}
        </header>
        <${Loading} state=${growth}
          >${() => {
            const g = growth.data;
            return html`<p class="big">
                <span data-testid="growth-new">${g.totals.newCustomers}</span> ${t("g_new")} ·
                <span data-testid="growth-active">${g.totals.activeCustomers}</span> ${t("g_active")}
                <span class="muted small">· ${t("g_repeatRate")} <span data-testid="growth-repeat">${pct(g.totals.repeatRate)}</span></span>
              </p>
              <${Columns}
                items=${g.rows.map((r) => ({
                  label: r.period.slice(5),
                  value: r.activeCustomers,
                  title: `${t("g_new")} ${r.newCustomers} · ${t("g_active")} ${r.activeCustomers}`,
                }))}
              />
              <${Bars}
                items=${g.lines.map((l) => ({
                  label: l.label[lang] ?? l.label.zh,
                  value: Math.abs(g.totals[l.key] ?? 0),
                  text: money({ amount: g.totals[l.key] ?? 0, currency: "CNY" }),
                }))}
              />
              <p class="small">${t("g_lines")} ${csv("revenue-lines")}</p>
              <ul class="plain small" data-testid="growth-lines">
                ${g.lines.map((l) => html`<li data-line=${l.key}>${l.label[lang] ?? l.label.zh}: ${money({ amount: g.totals[l.key] ?? 0, currency: "CNY" })}</li>`)}
              </ul>`;
          }}<//
        >
      </article>
      <article class="card wide" data-testid="cohorts-card">
        <header>
          <h2>${t("g_cohorts")}</h2>
          ${csv("cohorts")}
        </header>
        <${Loading} state=${cohorts}>${() => html`<${Cohorts} report=${cohorts.data} />`}<//>
      </article>
      <article class="card wide" data-testid="campaigns-card">
        <header>
          <h2>${t("g_campaigns")}</h2>
          ${csv("campaign-return")}
        </header>
        <${Loading} state=${campaigns}>${() => html`<${CampaignReturn} report=${campaigns.data} />`}<//>
      </article>
      <article class="card" data-testid="nps-card">
        <header>
          <h2>${t("g_nps")}</h2>
          <select name="npsBy" value=${by} onChange=${(e) => setBy(e.currentTarget.value)}>
            <option value="day">${t("byDay")}</option>
            <option value="week">${t("g_byWeek")}</option>
            <option value="service">${t("byService")}</option>
            <option value="merchant">${t("byMerchant")}</option>
            <option value="technician">${t("g_byTechnician")}</option></select
          >${csv("survey", `&by=${by}`)}
        </header>
        <${Loading} state=${nps}
          >${() => {
            const s = nps.data.totals;
            return html`<p class="big">
                NPS <span data-testid="survey-nps">${score(s.nps)}</span>
                <span class="muted small" data-testid="survey-counts"
                  >${`n=${s.responses} · ${t("g_promoters")} ${s.promoters} · ${t("g_passives")} ${s.passives} · ${t("g_detractors")} ${s.detractors}`}</span
                >
              </p>
              ${
                by === "day" || by === "week"
                  ? html`<${Columns}
                      items=${nps.data.rows.map((r) => ({ label: r.key.slice(5), value: r.responses, title: `NPS ${score(r.nps)} · n=${r.responses}` }))}
                    />`
                  : html`<${Bars}
                      items=${nps.data.rows.slice(0, 12).map((r) => ({ label: r.label, value: r.nps === null ? 0 : r.nps + 100, text: `${score(r.nps)} · n=${r.responses}` }))}
                      max=${200}
                    />`
              }`;
          }}<//
        >
      </article>
    </div>
    ${isPlatform && html`<${SurveyQuestions} />`}
  </section>`;
}

/** Each campaign by its name: cost against revenue (bars on one scale), and its figures. */
function CampaignReturn({ report }) {
  const { t, lang } = useApp();
  const cny = (amount) => money({ amount, currency: "CNY" });
  const name = (r) => (lang === "en" ? r.nameEn : r.nameZh);
  return html`<${Bars}
      items=${report.rows.flatMap((r) => [
        { label: `${name(r)} · ${t("g_campaignCost")}`, value: r.cost, text: cny(r.cost) },
        { label: `${name(r)} · ${t("g_campaignRevenue")}`, value: r.revenue, text: cny(r.revenue) },
      ])}
    />
    <${ListTable}
      items=${report.rows}
      heads=${[
        t("g_campaign"),
        { label: t("g_issued"), num: true },
        { label: t("g_redeemed"), num: true },
        { label: t("g_campaignCost"), num: true },
        { label: t("g_platformFunded"), num: true },
        { label: t("g_merchantFunded"), num: true },
        { label: t("g_campaignRevenue"), num: true },
        { label: t("g_newCustomers"), num: true },
        { label: t("g_laterRevenue"), num: true },
        { label: t("g_return"), num: true },
      ]}
      testid="campaign-table"
      >${(r) =>
        html`<tr data-campaign=${r.campaignId}>
          <td>${name(r)}</td>
          <td class="num">${r.issued}</td>
          <td class="num">${r.redeemed}</td>
          <td class="num">${cny(r.cost)}</td>
          <td class="num">${cny(r.platformFunded)}</td>
          <td class="num">${cny(r.merchantFunded)}</td>
          <td class="num">${cny(r.revenue)}</td>
          <td class="num">${r.newCustomers}</td>
          <td class="num">${cny(r.newCustomerLaterRevenue)}</td>
          <td class="num">${r.return === null ? "—" : `${r.return}×`}</td>
        </tr>`}<//
    >`;
}

/** The cohort table: one row per cohort month, a cell per month since, shaded by its share. */
function Cohorts({ report }) {
  const { t } = useApp();
  const months = report.columns.filter((c) => /^m\d+$/.test(c));
  return html`<${ListTable}
    items=${report.rows}
    heads=${[t("g_cohort"), { label: t("g_cohortSize"), num: true }, ...months.map((m) => ({ label: `+${m.slice(1)}`, num: true }))]}
    testid="cohort-table"
    >${(r) =>
      html`<tr data-cohort=${r.cohort}>
        <td>${r.cohort}</td>
        <td class="num">${r.customers}</td>
        ${months.map((m) => {
          const share = r[`r${m.slice(1)}`];
          return html`<td
            class="num"
            title=${r[m] === null ? "" : `${r[m]} / ${r.customers}`}
            style=${{ background: share === null ? "" : `rgba(37, 99, 235, ${0.08 + share * 0.6})` }}
          >
            ${r[m] === null ? "" : pct(share)}
          </td>`;
        })}
      </tr>`}<//
  >`;
}

/** The survey's questions (operators): the list with retire/restore, and a form to add one. */
function SurveyQuestions() {
  const { t, lang } = useApp();
  const [version, setVersion] = useState(0);
  const list = useAsync(() => api("/v1/admin/survey-questions"), [version]);
  const kinds = [
    ["choice", t("g_kindChoice")],
    ["rating", t("g_kindRating")],
    ["text", t("g_kindText")],
  ];
  const kindName = Object.fromEntries(kinds);
  return html`<section data-testid="survey-questions">
    <h2>${t("g_questions")}</h2>
    <p class="muted small">${t("g_questionsHint")}</p>
    <${Loading} state=${list}
      >${() =>
        html`<${ListTable}
          items=${list.data.items}
          heads=${[t("g_prompt"), t("g_kind"), t("g_options"), t("g_required"), t("status"), ""]}
          testid="survey-question-table"
          >${(x) =>
            html`<tr data-question=${x.id} data-active=${String(x.active)}>
              <td>${x.prompt[lang] ?? x.prompt.zh}</td>
              <td>${kindName[x.kind]}</td>
              <td>${x.options.map((o) => o[lang] ?? o.zh).join(" / ")}</td>
              <td>${x.required ? "✓" : ""}</td>
              <td><${Badge} value=${x.active ? "active" : "inactive"} /></td>
              <td>
                <${Action}
                  label=${x.active ? t("g_retire") : t("g_restore")}
                  kind="ghost"
                  testid=${`question-toggle-${x.id}`}
                  run=${async () => {
                    await api(`/v1/admin/survey-questions/${x.id}`, { method: "PATCH", body: { active: !x.active } });
                    setVersion(version + 1);
                  }}
                />
              </td>
            </tr>`}<//
        >`}<//
    >
    <h3>${t("g_newQuestion")}</h3>
    <${Form}
      testid="survey-question-form"
      reset
      submitLabel=${t("create")}
      initial=${{ kind: "rating", position: "10" }}
      fields=${[
        { key: "kind", label: t("g_kind"), type: "select", options: kinds },
        { key: "promptZh", label: `${t("g_prompt")} (中文)`, path: "body.prompt.zh" },
        { key: "promptEn", label: `${t("g_prompt")} (English)`, path: "body.prompt.en" },
        { key: "options", label: t("g_optionsHint"), attrs: { placeholder: "很满意|Very good; 一般|OK" } },
        { key: "position", label: t("g_position"), attrs: { inputmode: "numeric" } },
        { key: "required", label: t("g_required"), type: "checkbox" },
      ]}
      submit=${(v) =>
        api("/v1/admin/survey-questions", {
          method: "POST",
          body: {
            kind: v.kind,
            prompt: { zh: v.promptZh, en: v.promptEn },
            ...(v.options.trim()
              ? {
                  options: v.options
                    .split(";")
                    .map((o) => o.trim())
                    .filter(Boolean)
                    .map((o) => {
                      const [zh, en] = o.split("|");
                      return { zh: (zh ?? "").trim(), en: (en ?? zh ?? "").trim() };
                    }),
                }
              : {}),
            required: v.required,
            ...(String(v.position).trim() ? { position: num(v.position) } : {}),
          },
        })}
      onDone=${() => setVersion(version + 1)}
    />
  </section>`;
}
