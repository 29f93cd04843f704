// The order board with filters, the exception queue (dispatch exceptions, late orders, complaints),
// and one order's actions: assign (with the dispatch explanation and ranked candidates), cancel
// with the refund decision, reveal the contact, its payments and refunds with the refund decisions
// and a staff refund.
import { useState } from "preact/hooks";
import { useOrderChanges } from "./live-orders.js";
import { api } from "./api.js";
import { RefundDecision } from "./refunds.js";
import {
  html,
  useApp,
  useAsync,
  Action,
  Badge,
  Drawer,
  ErrorNote,
  FieldError,
  Loading,
  Tabs,
  hundredthsText,
  localName,
  money,
  newKey,
  toHundredths,
  when,
  zonedMidnight,
} from "./ui.js";

/** A flexible-window order's window in the city's zone, "12/05 09:00–12:00". */
const windowText = (w, timeZone) => `${when(w.start, timeZone)}–${when(w.end, timeZone).slice(-5)}`;

const STATUSES = [
  "confirmed",
  "dispatching",
  "assigned",
  "accepted",
  "en_route",
  "arrived",
  "in_service",
  "completed",
  "after_sales",
  "cancelled",
  "refunded",
  "pending_payment",
];

/** The exception queue's categories: everything, what dispatch could not place (and late orders), complaints. */
const QUEUES = ["exceptions", "dispatch", "after_sales"];

export function OrderBoard({ queue, openId }) {
  const { t, lang, isPlatform, city, services, merchants } = useApp();
  const [filters, setFilters] = useState({ status: "", serviceId: "", merchantId: "", date: "", cell: "" });
  const [pages, setPages] = useState([]);
  const [category, setCategory] = useState("exceptions");
  const query = () => {
    const p = new URLSearchParams({ limit: "50" });
    if (queue) p.set("queue", category);
    for (const k of ["status", "serviceId", "merchantId", "cell"]) if (filters[k]) p.set(k, filters[k]);
    if (filters.date && city) {
      p.set("from", zonedMidnight(filters.date, city.timeZone));
      const next = new Date(Date.parse(`${filters.date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      p.set("to", zonedMidnight(next, city.timeZone));
    }
    return p;
  };
  const state = useAsync(() => {
    setPages([]);
    return api(`/v1/admin/orders?${query()}`);
  }, [queue, category, JSON.stringify(filters)]);
  const more = async () => {
    const last = pages.at(-1) ?? state.data;
    const p = query();
    p.set("cursor", last.nextCursor);
    const next = await api(`/v1/admin/orders?${p}`);
    setPages([...pages, next]);
  };
  const items = state.data ? [state.data, ...pages].flatMap((p) => p.items) : [];
  const nextCursor = (pages.at(-1) ?? state.data)?.nextCursor;
  const set = (k) => (e) => setFilters({ ...filters, [k]: e.currentTarget.value });
  const serviceName = (id) => localName(services.find((s) => s.id === id)?.name, lang) || id;
  const merchantName = (id) => (id ? (merchants.find((m) => m.id === id)?.name ?? id) : "—");
  const [open, setOpen] = useState(openId ?? null);
  // Live: orders of the city's cells change → the list (and the open order) reload.
  const [openVersion, setOpenVersion] = useState(0);
  const live = useOrderChanges(city?.cells, (ids) => {
    state.reload();
    if (open && (ids.size === 0 || ids.has(open))) setOpenVersion((n) => n + 1);
  });

  return html`<section>
    <h1>${queue ? t("exceptions") : t("orders")}</h1>
    ${live > 0 && html`<p class="muted small" data-testid="orders-live">${t("lm_liveUpdating")}</p>`}
    ${!isPlatform && html`<p class="muted small">${t("merchantOnly")}</p>`}
    ${queue && html`<${Tabs} tabs=${QUEUES.map((q) => [q, t(`queue_${q}`)])} value=${category} onChange=${setCategory} />`}
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <label
        >${t("status")}
        <select value=${filters.status} onChange=${set("status")} name="status">
          <option value="">${t("all")}</option>
          ${STATUSES.map((s) => html`<option value=${s}>${t.status(s)}</option>`)}
        </select></label
      >
      <label
        >${t("service")}
        <select value=${filters.serviceId} onChange=${set("serviceId")} name="serviceId">
          <option value="">${t("all")}</option>
          ${services.map((s) => html`<option value=${s.id}>${localName(s.name, lang)}</option>`)}
        </select></label
      >
      ${
        isPlatform &&
        html`<label
          >${t("merchant")}
          <select value=${filters.merchantId} onChange=${set("merchantId")} name="merchantId">
            <option value="">${t("all")}</option>
            ${merchants.map((m) => html`<option value=${m.id}>${m.name}</option>`)}
          </select></label
        >`
      }
      <label>${t("date")}<input type="date" value=${filters.date} onChange=${set("date")} name="date" /></label>
      <label>${t("cell")}<input value=${filters.cell} onChange=${set("cell")} placeholder="85309a…" size="16" name="cell" /></label>
    </form>
    <${Loading} state=${state}
      >${() =>
        items.length === 0
          ? html`<p class="muted">${t("empty")}</p>`
          : html`<div class="table-wrap">
                <table class="orders" data-testid="orders-table">
                  <thead>
                    <tr>
                      <th>ID</th>
                      <th>${t("status")}</th>
                      ${queue && html`<th>${t("exception")}</th>`}
                      <th>${t("service")}</th>
                      <th>${t("merchant")}</th>
                      <th>${t("start")}</th>
                      <th>${t("technician")}</th>
                      <th>${t("total")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${items.map(
                      (o) =>
                        html`<tr
                          key=${o.id}
                          data-order-id=${o.id}
                          data-merchant-id=${o.merchantId ?? ""}
                          onClick=${() => setOpen(o.id)}
                          class="clickable"
                        >
                          <td class="mono">${o.id.slice(-8)}</td>
                          <td><${Badge} value=${o.status} /></td>
                          ${queue && html`<td><${Badge} value=${o.exception} kind="warn" /></td>`}
                          <td>${localName(o.service.name, lang) || serviceName(o.service.id)}</td>
                          <td>${merchantName(o.merchantId)}</td>
                          <td>
                            ${when(o.start, o.timeZone)}
                            ${
                              o.window &&
                              html`<span class="badge" data-testid="order-window-badge" title=${t("flexWindow")}
                                >${windowText(o.window, o.timeZone)}</span
                              >`
                            }
                          </td>
                          <td>${o.technician?.name ?? "—"}</td>
                          <td class="num">${money(o.total)}</td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>
              ${nextCursor && html`<${Action} label=${t("more")} run=${more} />`}`}<//
    >
    ${
      open &&
      html`<${OrderDrawer}
        id=${open}
        version=${openVersion}
        onClose=${() => {
          setOpen(null);
          if (openId) location.hash = "#/orders";
        }}
        onChanged=${state.reload}
      />`
    }
  </section>`;
}

const ASSIGNABLE = ["confirmed", "dispatching", "assigned", "accepted"];
const CANCELLABLE = ["pending_payment", "confirmed", "dispatching", "assigned", "accepted", "en_route", "arrived"];

export function OrderDrawer({ id, onClose, onChanged, version = 0 }) {
  const { t, lang, isPlatform } = useApp();
  const order = useAsync(() => api(`/v1/admin/orders/${id}`), [id, version]);
  const explain = useAsync(() => api(`/v1/admin/orders/${id}/dispatch`), [id, version]);
  const o = order.data;
  const assignable = o && ASSIGNABLE.includes(o.status);
  const candidates = useAsync(
    () => (assignable ? api(`/v1/admin/orders/${id}/candidates`) : Promise.resolve(null)),
    [id, assignable, o?.version],
  );
  const [contact, setContact] = useState(null);
  const [revealReason, setRevealReason] = useState("");
  const [cancelReason, setCancelReason] = useState("");
  const [unlockReason, setUnlockReason] = useState("");
  const [waiveReason, setWaiveReason] = useState("");
  const refreshAll = () => {
    order.reload();
    explain.reload();
    onChanged?.();
  };
  const assign = async (technicianId) => {
    await api(`/v1/admin/orders/${id}/assign`, { method: "POST", body: { technicianId } });
    refreshAll();
  };
  const cancel = async () => {
    await api(`/v1/admin/orders/${id}/cancel`, { method: "POST", body: { reason: cancelReason } });
    refreshAll();
  };
  const unlock = async () => {
    await api(`/v1/admin/orders/${id}/start-code/unlock`, { method: "POST", body: { reason: unlockReason } });
    setUnlockReason("");
    refreshAll();
  };
  const waive = async () => {
    await api(`/v1/admin/orders/${id}/due/waive`, { method: "POST", body: { reason: waiveReason } });
    setWaiveReason("");
    refreshAll();
  };
  const reveal = async () => setContact(await api(`/v1/admin/orders/${id}/contact`, { method: "POST", body: { reason: revealReason } }));

  return html`<${Drawer} title=${`${t("details")} ${id}`} onClose=${onClose}>
    <${Loading} state=${order}
      >${() =>
        html`<div data-testid="order-drawer" data-status=${o.status}>
          <dl class="facts">
            <dt>${t("status")}</dt>
            <dd>
              <${Badge} value=${o.status} />
              ${o.exception && o.exception !== o.status && html`<${Badge} value=${o.exception} kind="warn" />`}
            </dd>
            <dt>${t("service")}</dt>
            <dd>${localName(o.service.name, lang)}</dd>
            <dt>${t("start")}</dt>
            <dd>${when(o.start, o.timeZone)} – ${when(o.end, o.timeZone).slice(-5)}</dd>
            ${
              o.window &&
              html`<dt>${t("flexWindow")}</dt>
                <dd data-testid="order-window">
                  ${windowText(o.window, o.timeZone)} <span class="muted small">${t("flexWindowHint")}</span>
                </dd>`
            }
            <dt>${t("technician")}</dt>
            <dd data-testid="order-technician">${o.technician ? `${o.technician.name} (${o.technician.id})` : "—"}</dd>
            <dt>${t("total")}</dt>
            <dd>${money(o.total)} · ${o.paymentPlan}</dd>
            <dt>${t("cell")}</dt>
            <dd class="mono">${o.cell}</dd>
            ${
              o.refund &&
              html`<dt>${t("refund")}</dt>
                <dd data-testid="refund">
                  ${o.refund.percent}% · ${money(o.refund.amount)} (${t("visitFee")} ${money(o.refund.visitFee)}) — ${o.refund.reason}
                </dd>`
            }
          </dl>

          <${OrderMoney} order=${o} onChanged=${refreshAll} />

          ${
            assignable &&
            html`<h3>${t("candidates")}</h3>
              <${Loading} state=${candidates}
                >${() =>
                  !candidates.data?.items.length
                    ? html`<p class="muted">${t("noCandidates")}</p>`
                    : html`<table class="candidates" data-testid="candidates">
                        <thead>
                          <tr>
                            <th>${t("technician")}</th>
                            <th>${t("score")}</th>
                            <th>${t("travel")}</th>
                            <th></th>
                          </tr>
                        </thead>
                        <tbody>
                          ${candidates.data.items.map(
                            (c) =>
                              html`<tr data-candidate=${c.technicianId}>
                                <td>
                                  ${c.name}${c.tried ? html` <span class="badge warn">${t("tried")}</span>` : ""}
                                  <div class="muted small">
                                    ${Object.entries(c.breakdown)
                                      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
                                      .join(" · ")}
                                  </div>
                                </td>
                                <td class="num">${c.score.toFixed(3)}</td>
                                <td class="num">${c.travelKm} km</td>
                                <td>
                                  <${Action}
                                    label=${t("assign")}
                                    run=${() => assign(c.technicianId)}
                                    kind="primary"
                                    testid=${`assign-${c.technicianId}`}
                                  />
                                </td>
                              </tr>`,
                          )}
                        </tbody>
                      </table>`}<//
              >`
          }

          <h3>${t("decisions")}</h3>
          <${Loading} state=${explain}
            >${() =>
              explain.data.decisions.length === 0
                ? html`<p class="muted">${t("empty")}</p>`
                : html`<ol class="decisions">
                    ${explain.data.decisions.map(
                      (d) =>
                        html`<li>
                          <b>#${d.round}</b> ${d.mode} · ${d.reason} → ${d.chosenTechnicianId ?? "—"}
                          <span class="muted small">(${d.candidates.length})</span>
                        </li>`,
                    )}
                  </ol>`}<//
          >

          <h3>${t("contact")}</h3>
          ${
            contact
              ? html`<dl class="facts" data-testid="contact">
                  <dt>${t("contact")}</dt>
                  <dd>${contact.contactName} · ${contact.contactPhone}</dd>
                  <dt>📍</dt>
                  <dd>${contact.text}</dd>
                </dl>`
              : html`<div class="inline-form">
                  <input
                    placeholder=${t("revealReason")}
                    value=${revealReason}
                    onInput=${(e) => setRevealReason(e.currentTarget.value)}
                    name="revealReason"
                  />
                  <${Action} label=${t("reveal")} run=${reveal} disabled=${!revealReason.trim()} testid="reveal" />
                </div>`
          }
          ${
            o.startCodeLocked &&
            html`<h3>${t("startCodeLocked")}</h3>
              <p class="muted">${t("startCodeLockedHint")}</p>
              <div class="inline-form" data-testid="start-code-locked">
                <input
                  placeholder=${t("unlockReason")}
                  value=${unlockReason}
                  onInput=${(e) => setUnlockReason(e.currentTarget.value)}
                  name="unlockReason"
                />
                <${Action} label=${t("unlockStartCode")} run=${unlock} disabled=${!unlockReason.trim()} testid="unlock-start-code" />
              </div>`
          }
          ${
            // An open payment due (the exception queue shows it as `unpaid` once escalated): only
            // platform staff waive it (a merchant_admin would get 403).
            isPlatform &&
            o.due &&
            !o.due.settled &&
            html`<h3>${t("waiveDue")}</h3>
              <p class="muted">${t("waiveDueHint")}</p>
              <div class="inline-form" data-testid="waive-due">
                <input
                  placeholder=${t("waiveReason")}
                  value=${waiveReason}
                  onInput=${(e) => setWaiveReason(e.currentTarget.value)}
                  name="waiveReason"
                />
                <${Action} label=${t("confirmWaive")} run=${waive} kind="danger" disabled=${!waiveReason.trim()} testid="waive" />
              </div>`
          }
          ${
            o.due?.waived &&
            html`<p data-testid="waived">
              ${t("waived")}: ${money({ amount: o.due.waived.amount, currency: o.total.currency })} — ${o.due.waived.reason}
            </p>`
          }
          ${
            CANCELLABLE.includes(o.status) &&
            html`<h3>${t("cancel")}</h3>
              <div class="inline-form">
                <input
                  placeholder=${t("cancelReason")}
                  value=${cancelReason}
                  onInput=${(e) => setCancelReason(e.currentTarget.value)}
                  name="cancelReason"
                />
                <${Action} label=${t("confirmCancel")} run=${cancel} kind="danger" disabled=${!cancelReason.trim()} testid="cancel" />
              </div>`
          }

          <h3>${t("timeline")}</h3>
          <ol class="timeline">
            ${o.timeline.map((e) => html`<li>${when(e.at, o.timeZone)} · ${t.status(e.from) || "∅"} → <b>${t.status(e.to)}</b> · ${e.reason}${e.note ? html` · <span class="small">${t.lang === "en" ? e.note.en : e.note.zh}</span>` : ""} <span class="muted small">(${e.actor.type})</span></li>`)}
          </ol>
        </div>`}<//
    >
  <//>`;
}

/** What the order's payments have left to refund (applied payments less their refunds), 分. */
const refundable = (o) =>
  o.payments
    .filter((p) => p.status === "succeeded" && p.disposition === "applied")
    .reduce((sum, p) => sum + p.amount.amount - p.refunded.amount, 0);

const REFUNDABLE = ["completed", "after_sales", "cancelled", "refunded"];

/** The order's payments and refunds; refunds awaiting approval get the decision, and staff may refund what is left. */
function OrderMoney({ order: o, onChanged }) {
  const { t } = useApp();
  const left = refundable(o);
  const open = o.refunds.some((r) => r.status === "pending_approval" || r.status === "processing");
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const [error, setError] = useState(null);
  const refund = async () => {
    setError(null);
    try {
      const body = { reason, ...(amount.trim() ? { amount: toHundredths(amount) ?? amount } : {}) };
      await api(`/v1/admin/orders/${o.id}/refunds`, { method: "POST", body, headers: { "Idempotency-Key": newKey() } });
      setAmount("");
      setReason("");
      onChanged();
    } catch (e) {
      setError(e);
    }
  };
  return html`<h3>${t("payments")}</h3>
    ${
      o.payments.length === 0
        ? html`<p class="muted small">${t("noPayments")}</p>`
        : html`<table class="compact" data-testid="payments">
            <tbody>
              ${o.payments.map(
                (p) =>
                  html`<tr data-payment-id=${p.id}>
                    <td>${t(`stage_${p.stage}`)} · ${p.provider}</td>
                    <td class="num">${money(p.amount)}</td>
                    <td><${Badge} value=${`payment_${p.status}`} /></td>
                    <td class="small">
                      ${p.refunded.amount ? `${t("refunded")} ${money(p.refunded)}` : ""} ${when(p.succeededAt, o.timeZone)}
                    </td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
    ${
      o.refunds.length > 0 &&
      html`<h3>${t("refunds")}</h3>
        <ul class="plain" data-testid="order-refunds">
          ${o.refunds.map(
            (r) =>
              html`<li data-refund-id=${r.id} data-status=${r.status}>
                <${Badge} value=${r.status} /> ${t(`refund_${r.kind}`)} · ${money(r.amount)} · <span class="small">${r.reason}</span>
                ${r.status === "pending_approval" && html`<${RefundDecision} refund=${r} onDone=${onChanged} />`}
              </li>`,
          )}
        </ul>`
    }
    ${
      REFUNDABLE.includes(o.status) &&
      left > 0 &&
      !open &&
      html`<h3>${t("staffRefund")} <span class="muted small">${t("refundableLeft")} ${money(left)}</span></h3>
        <div class="inline-form" data-testid="staff-refund">
          <label class="inline"
            >¥<input
              name="staffRefundAmount"
              inputmode="decimal"
              size="8"
              placeholder=${hundredthsText(left)}
              value=${amount}
              onInput=${(e) => setAmount(e.currentTarget.value)}
          /></label>
          <input
            name="staffRefundReason"
            placeholder=${t("refundReason")}
            value=${reason}
            onInput=${(e) => setReason(e.currentTarget.value)}
          />
          <${Action} label=${t("refund")} kind="danger" run=${refund} disabled=${!reason.trim()} testid="staff-refund-submit" />
        </div>
        <${FieldError} error=${error} path="body.amount" />
        ${error && !error.body?.errors && html`<${ErrorNote} error=${error} />`}`
    }`;
}
