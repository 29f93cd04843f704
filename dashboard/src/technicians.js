// Technicians: applications with their qualification documents (R2) to approve or reject; skills,
// shifts, ratings and status.
import { useState } from "preact/hooks";
import { api, download } from "./api.js";
import { html, useApp, useAsync, useSkillNames, Action, Badge, Drawer, Loading, when } from "./ui.js";
import { ProfilePreview } from "./technician-profile.js";
import { DayRouteView } from "./day-route.js";

const STATUSES = ["pending", "approved", "rejected", "suspended", "removed"];
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

export function Technicians() {
  const { t, cityId } = useApp();
  const { label: skillLabel } = useSkillNames();
  const [status, setStatus] = useState("");
  const [open, setOpen] = useState(null);
  const state = useAsync(() => api(`/v1/admin/technicians?limit=100&city=${cityId}${status ? `&status=${status}` : ""}`), [status, cityId]);
  return html`<section>
    <h1>${t("technicians")}</h1>
    <div class="filters">
      <label
        >${t("status")}
        <select value=${status} onChange=${(e) => setStatus(e.currentTarget.value)} name="techStatus">
          <option value="">${t("all")}</option>
          ${STATUSES.map((s) => html`<option value=${s}>${t(s)}</option>`)}
        </select></label
      >
    </div>
    <${Loading} state=${state}
      >${() =>
        state.data.items.length === 0
          ? html`<p class="muted">${t("empty")}</p>`
          : html`<div class="table-wrap">
              <table data-testid="technicians-table">
                <thead>
                  <tr>
                    <th>${t("technician")}</th>
                    <th>${t("status")}</th>
                    <th>${t("skills")}</th>
                    <th>${t("rating")}</th>
                    <th>${t("phone")}</th>
                    <th>${t("cell")}</th>
                  </tr>
                </thead>
                <tbody>
                  ${state.data.items.map(
                    (x) =>
                      html`<tr key=${x.id} class="clickable" onClick=${() => setOpen(x.id)} data-technician-id=${x.id}>
                        <td>
                          ${x.name}
                          <div class="muted small mono">${x.id}</div>
                        </td>
                        <td><${Badge} value=${x.status} /></td>
                        <td>${x.skills.map(skillLabel).join("、")}</td>
                        <td class="num">${x.rating.toFixed(2)} <span class="muted small">(${x.ratingCount})</span></td>
                        <td class="mono">${x.phone}</td>
                        <td class="mono small">${x.homeCell}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`}<//
    >
    ${open && html`<${TechnicianDrawer} id=${open} onClose=${() => setOpen(null)} onChanged=${state.reload} />`}
  </section>`;
}

export function TechnicianDrawer({ id, onClose, onChanged }) {
  const { t, merchants, isPlatform } = useApp();
  const { label: skillLabel } = useSkillNames();
  const tech = useAsync(() => api(`/v1/admin/technicians/${id}`), [id]);
  const shifts = useAsync(() => api(`/v1/admin/technicians/${id}/shifts`), [id]);
  const docs = useAsync(() => api(`/v1/admin/technicians/${id}/documents`), [id]);
  const [reason, setReason] = useState("");
  const [kind, setKind] = useState("id_card");
  const [file, setFile] = useState(null);
  const [until, setUntil] = useState("");
  /** Approves or rejects one document (each is decided on its own; a reason is needed to reject). */
  const decideDoc = async (documentId, decision) => {
    await api(`/v1/admin/technicians/${id}/documents/${documentId}/decision`, {
      method: "POST",
      body: decision === "reject" ? { decision, reason } : { decision },
    });
    docs.reload();
    tech.reload();
  };
  /**
   * Suspends (reason and end date), reinstates or removes (reason).
   * @param {"suspend" | "reinstate" | "remove"} action
   */
  const setStatus = async (action) => {
    const body = action === "suspend" ? { reason, until: new Date(until).toISOString() } : action === "remove" ? { reason } : {};
    await api(`/v1/admin/technicians/${id}/${action}`, { method: "POST", body });
    tech.reload();
    onChanged();
  };
  /** @param {"approve" | "reject"} decision */
  const decide = async (decision) => {
    await api(`/v1/admin/technicians/${id}/${decision}`, { method: "POST", body: decision === "reject" ? { reason } : {} });
    tech.reload();
    docs.reload();
    onChanged();
  };
  const upload = async () => {
    await api(`/v1/admin/technicians/${id}/documents?kind=${kind}`, { method: "POST", body: file, headers: { "Content-Type": file.type } });
    setFile(null);
    docs.reload();
  };
  return html`<${Drawer} title=${t("technician")} onClose=${onClose}>
    <${Loading} state=${tech}
      >${() => {
        const x = tech.data;
        return html`<dl class="facts">
            <dt>${t("technician")}</dt>
            <dd>${x.name} <span class="mono small">${x.id}</span></dd>
            <dt>${t("status")}</dt>
            <dd data-testid="technician-status"><${Badge} value=${x.status} /></dd>
            <dt>${t("phone")}</dt>
            <dd class="mono">${x.phone}</dd>
            <dt>${t("skills")}</dt>
            <dd data-testid="technician-skills">${x.skills.map(skillLabel).join("、")}</dd>
            <dt>${t("rating")}</dt>
            <dd>${x.rating.toFixed(2)} (${x.ratingCount})</dd>
            <dt>${t("merchant")}</dt>
            <dd>${x.merchantId ? (merchants.find((m) => m.id === x.merchantId)?.name ?? x.merchantId) : "—"}</dd>
            ${
              x.statusReason &&
              html`<dt>${t("statusReason")}</dt>
                <dd>${x.statusReason}</dd>`
            }
            ${
              x.suspendedUntil &&
              html`<dt>${t("suspendUntil")}</dt>
                <dd>${when(x.suspendedUntil)}</dd>`
            }
            ${
              x.lapsedSkills.length > 0 &&
              html`<dt>${t("lapsedSkills")}</dt>
                <dd data-testid="lapsed-skills">${x.lapsedSkills.map(skillLabel).join("、")}</dd>`
            }
          </dl>
          ${
            (x.status === "approved" || x.status === "suspended") &&
            html`<div class="inline-form">
              <input placeholder=${t("statusReason")} value=${reason} onInput=${(e) => setReason(e.currentTarget.value)} />
              <input
                type="datetime-local"
                aria-label=${t("suspendUntil")}
                value=${until}
                onInput=${(e) => setUntil(e.currentTarget.value)}
              />
              <${Action} label=${t("suspend")} run=${() => setStatus("suspend")} disabled=${!reason.trim() || !until} testid="suspend" />
              ${x.status === "suspended" && html`<${Action} label=${t("reinstate")} run=${() => setStatus("reinstate")} testid="reinstate" />`}
              <${Action}
                label=${t("removeTechnician")}
                run=${() => setStatus("remove")}
                kind="danger"
                disabled=${!reason.trim()}
                testid="remove"
              />
            </div>`
          }
          ${
            (x.status === "pending" || x.status === "rejected") &&
            html`<div class="inline-form">
              <${Action} label=${t("approve")} run=${() => decide("approve")} kind="primary" testid="approve" />
              ${
                x.status === "pending" &&
                html`<input placeholder=${t("rejectReason")} value=${reason} onInput=${(e) => setReason(e.currentTarget.value)} />
                  <${Action} label=${t("reject")} run=${() => decide("reject")} kind="danger" disabled=${!reason.trim()} />`
              }
            </div>`
          }`;
      }}<//
    >
    <h3>${t("documents")}</h3>
    <${Loading} state=${docs}
      >${() =>
        docs.data.items.length === 0
          ? html`<p class="muted">${t("empty")}</p>`
          : html`<ul class="docs">
              ${docs.data.items.map(
                (d) =>
                  html`<li>
                    <${Badge} value=${d.status} /> ${t(d.kind)} · ${d.contentType} · ${(d.size / 1024).toFixed(0)} KB · ${when(d.createdAt)}
                    <button class="link" onClick=${() => download(d.url, `${d.kind}-${d.id}`)}>⬇</button>
                    ${d.expiresAt && html`<span class="small"> · ${d.expired ? t("documentExpired") : `${t("documentExpires")} ${when(d.expiresAt)}`}</span>`}
                    ${
                      d.status === "pending" &&
                      html`<span data-testid=${`doc-${d.kind}`}>
                        <${Action}
                          label=${t("approve")}
                          run=${() => decideDoc(d.id, "approve")}
                          kind="primary"
                          testid=${`approve-doc-${d.id}`}
                        />
                        <${Action} label=${t("reject")} run=${() => decideDoc(d.id, "reject")} kind="danger" disabled=${!reason.trim()} />
                      </span>`
                    }
                    ${d.reviewReason && html`<div class="muted small">${d.reviewReason}</div>`}
                  </li>`,
              )}
            </ul>`}<//
    >
    <div class="inline-form">
      <select value=${kind} onChange=${(e) => setKind(e.currentTarget.value)}>
        ${["id_card", "certificate", "health", "other"].map((k) => html`<option value=${k}>${t(k)}</option>`)}
      </select>
      <input
        type="file"
        accept="image/jpeg,image/png,image/webp,application/pdf"
        onChange=${(e) => setFile(e.currentTarget.files[0] ?? null)}
      />
      <${Action} label=${t("upload")} run=${upload} disabled=${!file} />
    </div>
    <h3>${t("shifts")}</h3>
    <${Loading} state=${shifts}
      >${() =>
        html`<table class="shifts">
            <tbody>
              ${DAYS.map(
                (d, i) =>
                  html`<tr>
                    <th>${t("weekdays").split(",")[i]}</th>
                    <td>${(shifts.data.weekly[d] ?? []).map((iv) => `${iv.start}–${iv.end}`).join(", ") || "—"}</td>
                  </tr>`,
              )}
            </tbody>
          </table>
          ${shifts.data.exceptions.length > 0 && html`<p class="small">${shifts.data.exceptions.map((e) => `${e.date}: ${e.intervals.map((iv) => `${iv.start}–${iv.end}`).join(", ") || "—"}`).join(" · ")}</p>`}`}<//
    >
    <${DayRouteView} id=${id} />
    ${isPlatform && html`<${ProfilePreview} id=${id} />`}
  <//>`;
}
