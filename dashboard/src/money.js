// Money: refunds waiting for approval (approve in full or in part, or reject with a reason),
// technicians' withdrawals, the daily reconciliation, ledger revenue with the ledger's CSV export,
// and commission rules. A merchant admin sees only its merchant's money (the server scopes it) and
// neither the reconciliation nor the commission rules (operators only).
import { useState } from "preact/hooks";
import { api, download } from "./api.js";
import { Bars, Columns } from "./charts.js";
import { RefundDecision } from "./refunds.js";
import { Statements } from "./statements.js";
import {
  html,
  useApp,
  useAsync,
  Action,
  Badge,
  ErrorNote,
  FieldError,
  ListTable,
  Loading,
  Tabs,
  hundredthsText,
  localName,
  money,
  toHundredths,
  today,
  when,
  zonedMidnight,
} from "./ui.js";

const REFUND_STATUSES = ["pending_approval", "processing", "succeeded", "failed", "rejected"];
const WITHDRAWAL_STATUSES = ["requested", "approved", "paid", "rejected", "failed"];

export function Money({ tab }) {
  const { t, isPlatform } = useApp();
  const tabs = [
    ["refunds", t("moneyRefunds")],
    ["withdrawals", t(isPlatform ? "moneyWithdrawals" : "moneyWithdrawalsView")],
    ...(isPlatform ? [["reconciliation", t("moneyReconciliation")]] : []),
    ["revenue", t("ledgerRevenue")],
    ...(isPlatform ? [["commission", t("commission")]] : []),
  ];
  const current = tabs.some(([k]) => k === tab) ? tab : "refunds";
  const body = {
    refunds: () => html`<${RefundQueue} />`,
    withdrawals: () => html`<${WithdrawalQueue} />`,
    reconciliation: () => html`<${Reconciliation} />`,
    revenue: () => html`<${LedgerRevenue} />`,
    commission: () => html`<${CommissionRules} />`,
  }[current];
  return html`<section data-testid="money">
    <h1>${t("money")}</h1>
    ${!isPlatform && html`<p class="muted small">${t("merchantOnly")}</p>`}
    <${Tabs} tabs=${tabs} value=${current} onChange=${(k) => (location.hash = `#/money/${k}`)} />
    ${body()}
  </section>`;
}

function StatusFilter({ value, onChange, statuses, name }) {
  const { t } = useApp();
  return html`<label
    >${t("status")}
    <select value=${value} onChange=${(e) => onChange(e.currentTarget.value)} name=${name}>
      <option value="">${t("all")}</option>
      ${statuses.map((s) => html`<option value=${s}>${t.status(s)}</option>`)}
    </select></label
  >`;
}

/** The refunds list; `status=pending_approval` is the approval queue. */
function RefundQueue() {
  const { t } = useApp();
  const [status, setStatus] = useState("pending_approval");
  const state = useAsync(() => api(`/v1/admin/refunds?limit=100${status ? `&status=${status}` : ""}`), [status]);
  return html`<div class="filters">
      <${StatusFilter} value=${status} onChange=${setStatus} statuses=${REFUND_STATUSES} name="refundStatus" />
    </div>
    <${Loading} state=${state}
      >${() =>
        html`<${ListTable}
          items=${state.data.items}
          testid="refunds-table"
          heads=${["ID", t("order"), t("kind"), t("amount"), t("reason"), t("requestedAt"), t("status"), ""]}
          >${(r) => html`<${RefundRow} key=${r.id} refund=${r} onDone=${state.reload} />`}<//
        >`}<//
    >`;
}

function RefundRow({ refund: r, onDone }) {
  const { t, city } = useApp();
  return html`<tr data-refund-id=${r.id} data-order-id=${r.orderId} data-status=${r.status}>
    <td class="mono small">${r.id.slice(-8)}</td>
    <td class="mono small"><a href=${`#/orders/${r.orderId}`}>${r.orderId.slice(-8)}</a></td>
    <td>${t(`refund_${r.kind}`)} <span class="muted small">${r.provider}</span></td>
    <td class="num">${money(r.amount)}</td>
    <td class="small">${r.reason}${r.failureReason && html`<div class="muted">${r.failureReason}</div>`}</td>
    <td class="small">${when(r.createdAt, city?.timeZone)}</td>
    <td><${Badge} value=${r.status} /></td>
    <td>${r.status === "pending_approval" && html`<${RefundDecision} refund=${r} onDone=${onDone} />`}</td>
  </tr>`;
}

/**
 * Technicians' withdrawals; `status=requested` is the approval queue. Only platform operators decide
 * them (separation of duties): a merchant admin sees its technicians' withdrawals, read-only.
 */
function WithdrawalQueue() {
  const { t, city, isPlatform } = useApp();
  const [status, setStatus] = useState("requested");
  const [reasons, setReasons] = useState({});
  const state = useAsync(() => api(`/v1/admin/withdrawals?limit=100${status ? `&status=${status}` : ""}`), [status]);
  /** @param {{ id: string }} w @param {"approve" | "reject"} decision */
  const decide = async (w, decision) => {
    await api(`/v1/admin/withdrawals/${w.id}/${decision}`, {
      method: "POST",
      body: decision === "reject" ? { reason: reasons[w.id] } : undefined,
    });
    state.reload();
  };
  return html`<div class="filters">
      <${StatusFilter} value=${status} onChange=${setStatus} statuses=${WITHDRAWAL_STATUSES} name="withdrawalStatus" />
    </div>
    ${!isPlatform && html`<p class="muted small" data-testid="withdrawals-read-only">${t("withdrawalsByOperators")}</p>`}
    <${Loading} state=${state}
      >${() =>
        html`<${ListTable}
          items=${state.data.items}
          testid="withdrawals-table"
          heads=${["ID", t("technician"), t("amount"), t("payout"), t("requestedAt"), t("status"), ""]}
          >${(w) =>
            html`<tr key=${w.id} data-withdrawal-id=${w.id} data-technician-id=${w.technicianId} data-status=${w.status}>
              <td class="mono small">${w.id.slice(-8)}</td>
              <td class="mono small">${w.technicianId}</td>
              <td class="num">${money(w.amount)}</td>
              <td class="small">${w.payoutProvider}${w.payoutRef ? html` · <span class="mono">${w.payoutRef}</span>` : ""}</td>
              <td class="small">${when(w.createdAt, city?.timeZone)}</td>
              <td><${Badge} value=${w.status} />${w.reason && html`<div class="muted small">${w.reason}</div>`}</td>
              <td>
                ${
                  isPlatform &&
                  w.status === "requested" &&
                  html`<div class="decision">
                    <${Action} label=${t("approve")} kind="primary" run=${() => decide(w, "approve")} testid="approve-withdrawal" />
                    <input
                      placeholder=${t("rejectReason")}
                      value=${reasons[w.id] ?? ""}
                      onInput=${(e) => setReasons({ ...reasons, [w.id]: e.currentTarget.value })}
                    />
                    <${Action} label=${t("reject")} kind="danger" run=${() => decide(w, "reject")} disabled=${!reasons[w.id]?.trim()} />
                  </div>`
                }
              </td>
            </tr>`}<//
        >`}<//
    >`;
}

/**
 * One day: what the providers reported vs the ledger's provider clearing vs the orders (paid, not
 * yet settled), then the providers' daily statements and their mismatches.
 */
function Reconciliation() {
  const { t, city } = useApp();
  const tz = city?.timeZone ?? "Asia/Shanghai";
  const [date, setDate] = useState(today(tz));
  const [ran, setRan] = useState(null);
  const state = useAsync(() => api(`/v1/admin/reports/reconciliation?date=${date}&timeZone=${encodeURIComponent(tz)}`), [date, tz]);
  const runNow = async () => {
    setRan(await api("/v1/admin/payments/reconcile", { method: "POST" }));
    state.reload();
  };
  const cell = (a, b) => html`<td class=${`num ${a.amount === b.amount ? "" : "mismatch"}`}>${money(a)}</td>`;
  return html`<div class="filters">
      <label>${t("date")}<input type="date" value=${date} onChange=${(e) => setDate(e.currentTarget.value)} name="reconDate" /></label>
      <${Action} label=${t("reconcileNow")} run=${runNow} />
      ${
        ran &&
        html`<span class="muted small" data-testid="reconcile-result"
          >${Object.entries(ran)
            .map(([k, v]) => `${k} ${v}`)
            .join(" · ")}</span
        >`
      }
    </div>
    <${Loading} state=${state}
      >${() => {
        const d = state.data;
        const unsettled = d.unsettledPayments.reduce((s, p) => s + p.amount.amount, 0);
        return html`<div data-testid="reconciliation" data-balanced=${String(d.balanced)}>
          <p class=${d.balanced ? "ok-note" : "notice"}>
            ${d.balanced ? `✓ ${t("balanced")}` : `⚠ ${t("unbalanced")}`} · ${d.date} (${d.timeZone})
          </p>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>${t("provider")}</th>
                  <th class="num">${t("reportedPaid")}</th>
                  <th class="num">${t("ledgerPaid")}</th>
                  <th class="num">${t("reportedRefunded")}</th>
                  <th class="num">${t("ledgerRefunded")}</th>
                  <th class="num">${t("payouts")}</th>
                  <th></th>
                </tr>
              </thead>
              <tbody>
                ${
                  d.providers.length === 0
                    ? html`<tr>
                        <td colspan="7" class="muted">${t("empty")}</td>
                      </tr>`
                    : d.providers.map(
                        (p) =>
                          html`<tr data-provider=${p.provider} class=${p.matches ? "" : "mismatch-row"}>
                            <td>${p.provider}</td>
                            ${cell(p.reported.paid, p.ledger.paid)}${cell(p.ledger.paid, p.reported.paid)}
                            ${cell(p.reported.refunded, p.ledger.refunded)}${cell(p.ledger.refunded, p.reported.refunded)}
                            <td class="num">${money(p.ledger.payouts)}</td>
                            <td>${p.matches ? "✓" : html`<span class="badge s-failed">${t("mismatch")}</span>`}</td>
                          </tr>`,
                      )
                }
              </tbody>
            </table>
          </div>
          <div class="two-col">
            <div>
              <h3>${t("unsettledOrders")} <span class="muted small">${d.unsettledPayments.length} · ${money(unsettled)}</span></h3>
              ${
                d.unsettledPayments.length === 0
                  ? html`<p class="muted small">✓ ${t("empty")}</p>`
                  : html`<ul class="plain">
                      ${d.unsettledPayments.map(
                        (p) =>
                          html`<li class="mismatch">
                            <a class="mono small" href=${`#/orders/${p.orderId}`}>${p.orderId}</a> · ${money(p.amount)}
                            <span class="muted small mono">${p.paymentId}</span>
                          </li>`,
                      )}
                    </ul>`
              }
            </div>
            <div>
              <h3>${t("unbalancedTx")} <span class="muted small">${d.unbalancedTransactions.length}</span></h3>
              ${
                d.unbalancedTransactions.length === 0
                  ? html`<p class="muted small">✓ ${t("empty")}</p>`
                  : html`<ul class="plain">
                      ${d.unbalancedTransactions.map((x) => html`<li class="mismatch mono small">${x.id} · ${x.kind} · ${x.ref} · Σ ${x.sum}</li>`)}
                    </ul>`
              }
            </div>
          </div>
        </div>`;
      }}<//
    >
    <${Statements} date=${date} />`;
}

/** Ledger revenue (gross, commission, shares, net of refunds) by day, merchant or service, and the ledger's CSV. */
function LedgerRevenue() {
  const { t, lang, city, merchants, services } = useApp();
  const tz = city?.timeZone ?? "Asia/Shanghai";
  const [range, setRange] = useState({ from: today(tz, -27), to: today(tz, 1) });
  const [groupBy, setGroupBy] = useState("day");
  const span = `from=${encodeURIComponent(zonedMidnight(range.from, tz))}&to=${encodeURIComponent(zonedMidnight(range.to, tz))}`;
  const state = useAsync(
    () => api(`/v1/admin/reports/revenue?${span}&groupBy=${groupBy}&timeZone=${encodeURIComponent(tz)}`),
    [span, groupBy],
  );
  const label = (key, by) =>
    by === "merchant"
      ? key === "platform"
        ? t("platform")
        : (merchants.find((m) => m.id === key)?.name ?? key)
      : by === "service"
        ? localName(services.find((s) => s.id === key)?.name, lang) || key
        : key;
  const set = (k) => (e) => setRange({ ...range, [k]: e.currentTarget.value });
  const KEYS = ["gross", "platformRevenue", "merchantShare", "technicianShare", "couponExpense", "merchantFunded"];
  return html`<div class="filters">
      <label>${t("from")}<input type="date" value=${range.from} onChange=${set("from")} /></label>
      <label>${t("to")}<input type="date" value=${range.to} onChange=${set("to")} /></label>
      <label
        >${t("groupBy")}
        <select value=${groupBy} onChange=${(e) => setGroupBy(e.currentTarget.value)} name="groupBy">
          <option value="day">${t("byDay")}</option>
          <option value="merchant">${t("byMerchant")}</option>
          <option value="service">${t("byService")}</option>
        </select></label
      >
      <${Action}
        label=${t("ledgerCsv")}
        kind="ghost"
        run=${() => download(`/v1/admin/ledger/export.csv?${span}`, `ledger-${range.from}-${range.to}.csv`)}
        testid="ledger-csv"
      />
    </div>
    <${Loading} state=${state}
      >${() => {
        // the data's own grouping: the choice may have changed while it loads
        const { items, groupBy: by } = state.data;
        const sum = (k) => items.reduce((s, i) => s + i[k].amount, 0);
        return html`<article class="card" data-testid="ledger-revenue" data-group=${by}>
          <p class="big">
            ${money(sum("gross"))}${" "}
            <span class="muted small"
              >${t("platformRevenue")} ${money(sum("platformRevenue"))} · ${t("merchantShare")} ${money(sum("merchantShare"))} ·
              ${t("technicianShare")} ${money(sum("technicianShare"))}</span
            >
          </p>
          ${
            by === "day"
              ? html`<${Columns}
                  items=${days(range.from, range.to).map((d) => {
                    const i = items.find((x) => x.key === d);
                    return { label: d.slice(5), value: i?.gross.amount ?? 0, title: money(i?.gross.amount ?? 0) };
                  })}
                />`
              : html`<${Bars} items=${items.map((i) => ({ label: label(i.key, by), value: i.gross.amount, text: money(i.gross) }))} />`
          }
          ${
            items.length > 0 &&
            html`<div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>${t(by === "day" ? "date" : by)}</th>
                    ${KEYS.map((k) => html`<th class="num">${t(k)}</th>`)}
                  </tr>
                </thead>
                <tbody>
                  ${items.map(
                    (i) =>
                      html`<tr data-key=${i.key}>
                        <td>${label(i.key, by)}</td>
                        ${KEYS.map((k) => html`<td class="num">${money(i[k])}</td>`)}
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
          }
        </article>`;
      }}<//
    >`;
}

/** The local dates from `from` up to (not including) `to`, YYYY-MM-DD. */
function days(from, to) {
  const out = [];
  for (let d = Date.parse(`${from}T00:00:00Z`); d < Date.parse(`${to}T00:00:00Z`) && out.length < 366; d += 86_400_000) {
    out.push(new Date(d).toISOString().slice(0, 10));
  }
  return out;
}

const percent = (bps) => (bps === null || bps === undefined ? "—" : `${hundredthsText(bps).replace(/\.?0+$/, "")}%`);

/** Commission rules (operators): the platform's take rate and the technician's share, per platform, merchant or service. */
function CommissionRules() {
  const { t, lang, merchants, services } = useApp();
  const state = useAsync(() => api("/v1/admin/commission-rules"), []);
  const [form, setForm] = useState({ scope: "default", take: "", share: "" });
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);
  const scopeLabel = (scope) => {
    const [kind, id] = scope.split(":");
    if (kind === "merchant") return `${t("merchant")}: ${merchants.find((m) => m.id === id)?.name ?? id}`;
    if (kind === "service") return `${t("service")}: ${localName(services.find((s) => s.id === id)?.name, lang) || id}`;
    return t("platformDefault");
  };
  const edit = (rule) =>
    setForm({
      scope: rule.scope,
      take: rule.takeRateBps === null ? "" : hundredthsText(rule.takeRateBps),
      share: rule.technicianShareBps === null ? "" : hundredthsText(rule.technicianShareBps),
    });
  // An empty field falls back to the wider scope; anything else goes to the server as typed when it is not a percentage.
  const bps = (text) => (text.trim() === "" ? null : (toHundredths(text) ?? text));
  const save = async (e) => {
    e.preventDefault();
    setError(null);
    setSaved(false);
    try {
      await api("/v1/admin/commission-rules", {
        method: "PUT",
        body: { scope: form.scope, takeRateBps: bps(form.take), technicianShareBps: bps(form.share) },
      });
      setSaved(true);
      state.reload();
    } catch (err) {
      setError(err);
    }
  };
  const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.value });
  return html`<${Loading} state=${state}
    >${() =>
      html`<p class="muted small">
          ${t("commissionHelp")} ${t("defaults")}: ${percent(state.data.defaults.takeRateBps)} /
          ${percent(state.data.defaults.technicianShareBps)}
        </p>
        <div class="table-wrap">
          <table data-testid="commission-table">
            <thead>
              <tr>
                <th>${t("scope")}</th>
                <th class="num">${t("takeRate")}</th>
                <th class="num">${t("technicianShareRate")}</th>
                <th>${t("updated")}</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              ${state.data.items.map(
                (r) =>
                  html`<tr data-scope=${r.scope}>
                    <td>${scopeLabel(r.scope)}</td>
                    <td class="num">${percent(r.takeRateBps)}</td>
                    <td class="num">${percent(r.technicianShareBps)}</td>
                    <td class="small">${when(r.updatedAt)}</td>
                    <td><button class="link" onClick=${() => edit(r)}>✎</button></td>
                  </tr>`,
              )}
            </tbody>
          </table>
        </div>
        <form class="card form-grid" onSubmit=${save} data-testid="commission-form">
          <label
            >${t("scope")}
            <select value=${form.scope} onChange=${set("scope")} name="scope">
              <option value="default">${t("platformDefault")}</option>
              ${merchants.map((m) => html`<option value=${`merchant:${m.id}`}>${t("merchant")}: ${m.name}</option>`)}
              ${services.map((s) => html`<option value=${`service:${s.id}`}>${t("service")}: ${localName(s.name, lang)}</option>`)}
            </select>
            <${FieldError} error=${error} path="body.scope"
          /></label>
          <label
            >${t("takeRate")} (%)<input
              name="takeRate"
              inputmode="decimal"
              value=${form.take}
              onInput=${set("take")}
              placeholder=${t("inherit")} />
            <${FieldError} error=${error} path="body.takeRateBps"
          /></label>
          <label
            >${t("technicianShareRate")} (%)<input
              name="technicianShare"
              inputmode="decimal"
              value=${form.share}
              onInput=${set("share")}
              placeholder=${t("inherit")} />
            <${FieldError} error=${error} path="body.technicianShareBps"
          /></label>
          <div>
            <button class="primary" type="submit">${t("save")}</button> ${saved && html`<span class="muted small">${t("saved")}</span>`}
          </div>
          ${error && !error.body?.errors && html`<${ErrorNote} error=${error} />`}
        </form>`}<//
  >`;
}
