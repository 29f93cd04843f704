// Personal data (PIPL) for operators: exports and account deletions with their status and audit trail, cancelling a
// deletion during its cooling-off, and the retention periods with what the last daily run deleted.
import { useState } from "preact/hooks";
import { api } from "./api.js";
import { html, useApp, useAsync, Action, ListTable, Loading, when } from "./ui.js";

const STATUSES = ["", "pending", "completed", "cancelled", "queued", "running", "ready", "downloaded", "expired", "failed"];

function CancelForm({ request, done }) {
  const { t } = useApp();
  const [reason, setReason] = useState("");
  const run = async () => {
    await api(`/v1/admin/data-requests/${request.id}/cancel`, { method: "POST", body: { reason: reason.trim() } });
    done();
  };
  return html`<span class="inline-form">
    <input
      name="cancel-reason"
      maxlength="200"
      placeholder=${t("privacyCancelReason")}
      value=${reason}
      onInput=${(e) => setReason(e.currentTarget.value)}
    />
    <${Action} label=${t("privacyCancelDeletion")} kind="danger" disabled=${!reason.trim()} run=${run} testid="cancel-deletion" />
  </span>`;
}

function Trail({ id }) {
  const { t } = useApp();
  const state = useAsync(() => api(`/v1/admin/data-requests/${id}`), [id]);
  return html`<${Loading} state=${state}
    >${() =>
      html`<ol class="small" data-testid="privacy-trail">
        ${state.data.trail.map(
          (e) =>
            html`<li data-action=${e.action}>
              ${when(e.at)} ·
              ${t(`privacy_${e.action.replace("privacy.", "")}`)}${e.actorId ? html` · <span class="mono">${e.actorId}</span>` : null}
              ${e.data.reason ? html` · ${e.data.reason}` : null}
            </li>`,
        )}
      </ol>`}<//
  >`;
}

function Requests() {
  const { t } = useApp();
  const [kind, setKind] = useState("");
  const [status, setStatus] = useState("");
  const [open, setOpen] = useState(null);
  const state = useAsync(() => {
    const q = new URLSearchParams({ limit: "100" });
    if (kind) q.set("kind", kind);
    if (status) q.set("status", status);
    return api(`/v1/admin/data-requests?${q}`);
  }, [kind, status]);
  return html`<div>
    <h2>${t("privacyRequests")}</h2>
    <p class="muted small">${t("privacyRequestsHelp")}</p>
    <div class="filters">
      <select name="kind" value=${kind} onChange=${(e) => setKind(e.currentTarget.value)} data-testid="privacy-kind">
        <option value="">${t("privacyAllKinds")}</option>
        <option value="deletion">${t("privacyKind_deletion")}</option>
        <option value="export">${t("privacyKind_export")}</option>
      </select>
      <select name="status" value=${status} onChange=${(e) => setStatus(e.currentTarget.value)} data-testid="privacy-status">
        ${STATUSES.map((s) => html`<option value=${s}>${s ? t(`privacyStatus_${s}`) : t("privacyAllStatuses")}</option>`)}
      </select>
    </div>
    <${Loading} state=${state}
      >${() =>
        html`<${ListTable}
          items=${state.data.items}
          testid="privacy-requests"
          heads=${["ID", t("privacyAccount"), t("privacyKind"), t("status"), t("privacyCreated"), t("privacyDue"), ""]}
          >${(r) =>
            html`<tr key=${r.id} data-request=${r.id} data-status=${r.status}>
                <td class="mono small">${r.id}</td>
                <td class="mono small">${r.accountId}</td>
                <td>${t(`privacyKind_${r.kind}`)}</td>
                <td data-testid="privacy-request-status">
                  ${t(`privacyStatus_${r.status}`)}
                  ${r.kind === "export" ? html`<div class="muted small">${r.progress.done}/${r.progress.total}</div>` : null}
                  ${r.lastError ? html`<div class="muted small">${t(`privacyHeld_${r.lastError}`)}</div>` : null}
                  ${r.cancelReason ? html`<div class="muted small">${r.cancelReason}</div>` : null}
                </td>
                <td class="small">${when(r.createdAt)}</td>
                <td class="small">${r.dueAt ? when(r.dueAt) : r.expiresAt ? when(r.expiresAt) : ""}</td>
                <td>
                  <button
                    type="button"
                    class="ghost"
                    data-testid="privacy-trail-toggle"
                    onClick=${() => setOpen(open === r.id ? null : r.id)}
                  >
                    ${t("privacyTrail")}
                  </button>
                  ${r.kind === "deletion" && r.status === "pending" ? html`<${CancelForm} request=${r} done=${() => state.reload()} />` : null}
                </td>
              </tr>
              ${
                open === r.id
                  ? html`<tr>
                      <td colspan="7"><${Trail} id=${r.id} /></td>
                    </tr>`
                  : null
              }`}<//
        >`}<//
    >
  </div>`;
}

function Retention() {
  const { t } = useApp();
  const state = useAsync(() => api("/v1/admin/privacy/retention"), []);
  return html`<div>
    <h2>${t("privacyRetention")}</h2>
    <${Loading} state=${state}
      >${() => {
        const d = state.data;
        const last = d.lastRun;
        return html`<table data-testid="privacy-retention">
            <thead>
              <tr>
                <th>${t("privacyRetentionKind")}</th>
                <th>${t("privacyRetentionPeriod")}</th>
                <th>${t("privacyRetentionVariable")}</th>
                <th class="num">${t("privacyRetentionLastDeleted")}</th>
              </tr>
            </thead>
            <tbody>
              ${d.items.map((i) => {
                const done = last?.kinds.find((k) => k.kind === i.kind);
                return html`<tr data-kind=${i.kind}>
                  <td>${t(`privacyRetention_${i.kind}`)}</td>
                  <td data-testid="retention-period">${i.period} ${t(i.unit === "days" ? "privacyDays" : "privacyHours")}</td>
                  <td class="mono small">${i.variable}</td>
                  <td class="num">${i.byCell ? t("privacyByCell") : done ? `${done.deleted}${done.more ? " +" : ""}` : "—"}</td>
                </tr>`;
              })}
            </tbody>
          </table>
          <p class="muted small" data-testid="privacy-settings">
            ${t("privacySettingsLine")
              .replace("{days}", String(d.coolingOffDays))
              .replace("{minutes}", String(d.exportLinkMinutes))
              .replace("{batch}", String(d.batchSize))
              .replace("{version}", d.policyVersion)}
          </p>
          <p class="muted small">${last ? `${t("privacyLastRun")}: ${when(last.at)}` : t("privacyNoRun")}</p>`;
      }}<//
    >
  </div>`;
}

export function Privacy() {
  const { t } = useApp();
  return html`<section>
    <h1>${t("privacy")}</h1>
    <${Requests} />
    <${Retention} />
  </section>`;
}
