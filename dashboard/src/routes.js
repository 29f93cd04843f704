/* global clearTimeout -- the browser's */
// Team route plans: choose a cell and a date, request a plan (built in the background: the screen
// polls it while queued), see per technician the jobs after and the figures before and after, then
// accept it (all moves at once through the cell; a refusal is shown in the user's language) or discard it,
// or ask the customers in the app for the proposed new times and follow each group's state.
import { useEffect, useState } from "preact/hooks";
import { api } from "./api.js";
import { html, useApp, ErrorNote, today } from "./ui.js";

const POLL_MS = 1500;

export function RoutePlans() {
  const { t, lang, city } = useApp();
  const cells = city.cells ?? [];
  const [cellId, setCellId] = useState(cells[0] ?? "");
  const [date, setDate] = useState(today(city.timeZone, 1));
  const [plan, setPlan] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  // Poll a queued plan until it is built.
  useEffect(() => {
    if (!plan || plan.status !== "queued") return undefined;
    const timer = setTimeout(async () => {
      try {
        setPlan(await api(`/v1/admin/route-plans/${plan.id}`));
      } catch (err) {
        setError(err);
      }
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [plan]);

  const act = async (fn) => {
    setError(null);
    setBusy(true);
    try {
      setPlan(await fn());
    } catch (err) {
      setError(err);
      if (plan) setPlan(await api(`/v1/admin/route-plans/${plan.id}`).catch(() => plan));
    } finally {
      setBusy(false);
    }
  };
  const request = () => act(() => api("/v1/admin/route-plans", { method: "POST", body: { cellId, date } }));
  const accept = (withProposals) =>
    act(() => api(`/v1/admin/route-plans/${plan.id}/accept${withProposals ? "?withProposals=true" : ""}`, { method: "POST" }));
  const discard = () => act(() => api(`/v1/admin/route-plans/${plan.id}/discard`, { method: "POST" }));
  // Ask the customers in the app: the moves are accepted, the new times asked in groups (docs/route-plans.md).
  const askCustomers = () =>
    act(async () => {
      await api(`/v1/admin/route-plans/${plan.id}/ask`, { method: "POST" });
      return api(`/v1/admin/route-plans/${plan.id}`);
    });

  return html`<section data-screen="routes">
    <h2>${t("rp_title")}</h2>
    <p class="muted">${t("rp_hint")}</p>
    <div class="toolbar">
      <label
        >${t("bd_cell")}
        <select value=${cellId} onChange=${(e) => setCellId(e.currentTarget.value)} data-testid="rp-cell">
          ${cells.map((c) => html`<option value=${c}>${c}</option>`)}
        </select></label
      >
      <label
        >${t("bd_date")} <input type="date" value=${date} onChange=${(e) => setDate(e.currentTarget.value)} data-testid="rp-date"
      /></label>
      <button disabled=${busy || !cellId} onClick=${request} data-testid="rp-request">${t("rp_request")}</button>
    </div>
    <div data-testid="rp-error"><${ErrorNote} error=${error} /></div>
    ${
      plan &&
      html`<${Plan}
        plan=${plan}
        t=${t}
        lang=${lang}
        busy=${busy}
        onAccept=${() => accept(false)}
        onAcceptAll=${() => accept(true)}
        onAsk=${askCustomers}
        onDiscard=${discard}
      />`
    }
    ${plan && plan.status === "accepted" && !plan.proposalsApplied && plan.proposals.length > 0 && html`<${Asks} plan=${plan} t=${t} lang=${lang} />`}
  </section>`;
}

function Figures({ f }) {
  return f ? html`${f.travelMinutes} min · ${f.distanceKm} km · ${f.lateRisks} ⚠ · ${f.jobs}` : "–";
}

/** The local wall-clock time of an instant the API wrote in the cell's zone ("…T10:45:00+08:00" → "10:45"). */
const clock = (iso) => iso.slice(11, 16);

/** New starts for fixed-time jobs that would cut travel; applied only with "accept with the new times". */
function Proposals({ plan, t }) {
  const names = new Map(plan.technicians.map((r) => [r.id, r.name]));
  return html`<div data-testid="rp-proposals">
    <h3>${t("rp_proposals")}</h3>
    <p class="muted">${t("rp_proposals_hint")}</p>
    <p>${t("rp_with_proposals")}: <${Figures} f=${plan.withProposals} /></p>
    <table>
      <thead>
        <tr>
          <th>${t("rp_order")}</th>
          <th>${t("technicians")}</th>
          <th>${t("rp_current_start")}</th>
          <th>${t("rp_proposed_start")}</th>
        </tr>
      </thead>
      <tbody>
        ${plan.proposals.map(
          (p) =>
            html`<tr data-testid="rp-proposal">
              <td>${p.orderId}</td>
              <td>${names.get(p.technicianId) ?? p.technicianId}</td>
              <td>${clock(p.currentStart)}</td>
              <td data-testid="rp-proposed-start">${clock(p.start)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

/** The groups of new times asked of the customers and their state, polled while any is open. */
function Asks({ plan, t, lang }) {
  const [groups, setGroups] = useState(null);
  const [error, setError] = useState(null);
  const open = groups === null || groups.some((g) => g.status === "waiting" || g.status === "applying");
  useEffect(() => {
    if (!open) return undefined;
    const timer = setTimeout(
      async () => {
        try {
          setGroups((await api(`/v1/admin/route-plans/${plan.id}/asks`)).groups);
        } catch (err) {
          setError(err);
        }
      },
      groups === null ? 0 : POLL_MS,
    );
    return () => clearTimeout(timer);
  }, [plan.id, groups, open]);
  const names = new Map(plan.technicians.map((r) => [r.id, r.name]));
  const text = (l) => (l ? (l[lang] ?? l.en) : "");
  // A plan accepted without its new times may still have them asked.
  const ask = async () => {
    setError(null);
    try {
      setGroups((await api(`/v1/admin/route-plans/${plan.id}/ask`, { method: "POST" })).groups);
    } catch (err) {
      setError(err);
    }
  };
  // Withdraw a group still waiting for its customers: they are told their time stays.
  const withdraw = async (g) => {
    setError(null);
    try {
      const done = await api(`/v1/admin/route-plans/${plan.id}/asks/${g.id}/withdraw`, { method: "POST" });
      setGroups((all) => all.map((x) => (x.id === done.id ? done : x)));
    } catch (err) {
      setError(err);
    }
  };
  return html`<div class="card" data-testid="rp-asks">
    <h3>${t("rp_asks")}</h3>
    <p class="muted">${t("rp_asks_hint")}</p>
    <${ErrorNote} error=${error} />
    ${groups && groups.length === 0 && html`<button onClick=${ask} data-testid="rp-ask">${t("rp_ask")}</button>`}
    ${
      groups &&
      groups.length > 0 &&
      html`<table>
        <thead>
          <tr>
            <th>${t("technicians")}</th>
            <th>${t("rp_group_state")}</th>
            <th>${t("rp_group_closes")}</th>
            <th>${t("rp_order")}</th>
          </tr>
        </thead>
        <tbody>
          ${groups.map(
            (g) =>
              html`<tr data-testid="rp-group" data-status=${g.status}>
                <td>${names.get(g.technicianId) ?? g.technicianId}</td>
                <td data-testid="rp-group-state">
                  ${text(g.statusText)}
                  ${g.status === "waiting" && html` · ${t("rp_group_approved").replace("{k}", String(g.approved)).replace("{n}", String(g.size))}`}
                  ${g.reasonText && html` · ${text(g.reasonText)}`}
                  ${g.status === "waiting" && html` <button onClick=${() => withdraw(g)} data-testid="rp-withdraw">${t("rp_withdraw")}</button>`}
                </td>
                <td>${clock(g.closesAt)}</td>
                <td>${g.orders.map((o) => `${o.orderId} ${clock(o.currentStart)} → ${clock(o.start)}`).join("; ")}</td>
              </tr>`,
          )}
        </tbody>
      </table>`
    }
  </div>`;
}

function Plan({ plan, t, lang, busy, onAccept, onAcceptAll, onAsk, onDiscard }) {
  return html`<div class="card" data-testid="rp-plan" data-status=${plan.status}>
    <p>${t("rp_status")}: <strong data-testid="rp-status">${plan.statusText[lang] ?? plan.statusText.en}</strong></p>
    ${plan.failureText && html`<p class="muted" data-testid="rp-failure">${plan.failureText[lang] ?? plan.failureText.en}</p>`}
    ${
      plan.status === "ready" &&
      html`<p>
        ${t("rp_moves")}: <span data-testid="rp-moves">${plan.moves.length}</span> · ${t("rp_before")}: <${Figures} f=${plan.before} /> ·
        ${t("rp_after")}: <${Figures} f=${plan.after} />
      </p>`
    }
    ${
      plan.technicians.length > 0 &&
      html`<table>
        <thead>
          <tr>
            <th>${t("technicians")}</th>
            <th>${t("rp_before")}</th>
            <th>${t("rp_after")}</th>
            <th>${t("rp_jobs")}</th>
          </tr>
        </thead>
        <tbody>
          ${plan.technicians.map(
            (r) =>
              html`<tr>
                <td>${r.name}</td>
                <td><${Figures} f=${r.before} /></td>
                <td><${Figures} f=${r.after} /></td>
                <td>${r.jobs.join(", ")}</td>
              </tr>`,
          )}
        </tbody>
      </table>`
    }
    ${plan.proposals.length > 0 && html`<${Proposals} plan=${plan} t=${t} />`}
    ${plan.status === "accepted" && plan.proposalsApplied && html`<p data-testid="rp-applied">${t("rp_proposals_applied")}</p>`}
    ${
      plan.status === "ready" &&
      html`<div class="toolbar">
        <button disabled=${busy} onClick=${onAccept} data-testid="rp-accept">${t("rp_accept")}</button>
        ${
          plan.proposals.length > 0 &&
          html`<button disabled=${busy} onClick=${onAcceptAll} data-testid="rp-accept-all">${t("rp_accept_with_proposals")}</button>
            <button disabled=${busy} onClick=${onAsk} data-testid="rp-ask">${t("rp_ask")}</button>`
        }
        <button disabled=${busy} onClick=${onDiscard} data-testid="rp-discard">${t("rp_discard")}</button>
      </div>`
    }
  </div>`;
}
