// Applications & changes (platform staff): the queue of pending technician applications (each opens
// the technician drawer for its per-document decisions and the approval), the queue of proposed
// profile changes to approve or reject with a reason, and the documents each skill requires.
import { useState } from "preact/hooks";
import { api } from "./api.js";
import { html, localName, useApp, useAsync, useSkillNames, Action, Badge, Loading, ListTable, Tabs, when } from "./ui.js";
import { TechnicianDrawer } from "./technicians.js";

const KINDS = ["id_card", "certificate", "health", "other"];

export function Lifecycle() {
  const { t } = useApp();
  const [tab, setTab] = useState("applications");
  const { skills, label } = useSkillNames();
  return html`<section data-screen="lifecycle">
    <h1>${t("lc_title")}</h1>
    <${Tabs}
      tabs=${[
        ["applications", t("lc_applications")],
        ["changes", t("lc_changes")],
        ["requirements", t("lc_requirements")],
      ]}
      value=${tab}
      onChange=${setTab}
    />
    <${Loading} state=${skills}
      >${() =>
        tab === "changes"
          ? html`<${Changes} label=${label} />`
          : tab === "requirements"
            ? html`<${Requirements} skills=${skills.data.items} />`
            : html`<${Applications} label=${label} />`}<//
    >
  </section>`;
}

function Applications({ label }) {
  const { t, cityId } = useApp();
  const [open, setOpen] = useState(null);
  const list = useAsync(() => api(`/v1/admin/technicians?limit=100&city=${cityId}&status=pending`), [cityId]);
  return html`<h2>${t("lc_applications")}</h2>
    <${Loading} state=${list}
      >${() =>
        html`<${ListTable}
          items=${list.data.items}
          heads=${[t("technician"), t("skills"), t("phone"), t("status"), ""]}
          testid="applications-table"
          >${(x) =>
            html`<tr key=${x.id} data-application=${x.id}>
              <td>${x.name}</td>
              <td>${x.skills.map(label).join("、")}</td>
              <td class="mono">${x.phone}</td>
              <td><${Badge} value=${x.status} /></td>
              <td>
                <button class="link" onClick=${() => setOpen(x.id)} data-testid=${`open-application-${x.id}`}>${t("lc_review")}</button>
              </td>
            </tr>`}<//
        >`}<//
    >
    ${open && html`<${TechnicianDrawer} id=${open} onClose=${() => setOpen(null)} onChanged=${list.reload} />`}`;
}

/** What a proposal changes, in words (the new service area's cell is not shown as a code). */
function ChangeSummary({ changes, label }) {
  const { t } = useApp();
  const parts = [];
  if (changes.name !== undefined) parts.push(html`<div>${t("lc_newName")}: ${String(changes.name)}</div>`);
  if (Array.isArray(changes.skills)) parts.push(html`<div>${t("lc_newSkills")}: ${changes.skills.map(label).join("、")}</div>`);
  if (changes.serviceRadiusKm !== undefined) parts.push(html`<div>${t("lc_newRadius")}: ${String(changes.serviceRadiusKm)} km</div>`);
  if (changes.homeCell !== undefined) parts.push(html`<div>${t("lc_newArea")}</div>`);
  return html`<div class="small">${parts}</div>`;
}

function Changes({ label }) {
  const { t } = useApp();
  const [status, setStatus] = useState("pending");
  const [reasons, setReasons] = useState({});
  const list = useAsync(() => api(`/v1/admin/technician-changes?limit=100&status=${status}`), [status]);
  /** @param {"approve" | "reject"} decision */
  const decide = async (id, decision) => {
    const reason = (reasons[id] ?? "").trim();
    await api(`/v1/admin/technician-changes/${id}/decision`, {
      method: "POST",
      body: decision === "reject" || reason ? { decision, reason } : { decision },
    });
    list.reload();
  };
  return html`<h2>${t("lc_changes")}</h2>
    <div class="filters">
      <label
        >${t("status")}
        <select value=${status} onChange=${(e) => setStatus(e.currentTarget.value)} name="changeStatus">
          ${["pending", "approved", "rejected", "withdrawn"].map((s) => html`<option value=${s}>${t.status(s)}</option>`)}
        </select></label
      >
    </div>
    <${Loading} state=${list}
      >${() =>
        html`<${ListTable}
          items=${list.data.items}
          heads=${[t("technician"), t("lc_current"), t("lc_proposed"), t("lc_proposedAt"), t("status"), ""]}
          testid="changes-table"
          >${(c) =>
            html`<tr key=${c.id} data-change=${c.id} data-status=${c.status}>
              <td>${c.technician?.name ?? "—"}</td>
              <td class="small">
                ${c.technician ? html`${c.technician.skills.map(label).join("、")} · ${c.technician.serviceRadiusKm} km` : "—"}
              </td>
              <td><${ChangeSummary} changes=${c.changes} label=${label} /></td>
              <td>${when(c.createdAt)}</td>
              <td><${Badge} value=${c.status} />${c.reason && html`<div class="muted small">${c.reason}</div>`}</td>
              <td>
                ${
                  c.status === "pending" &&
                  html`<div class="inline-form">
                    <input
                      name=${`changeReason-${c.id}`}
                      placeholder=${t("rejectReason")}
                      value=${reasons[c.id] ?? ""}
                      onInput=${(e) => setReasons({ ...reasons, [c.id]: e.currentTarget.value })}
                    />
                    <${Action}
                      label=${t("approve")}
                      run=${() => decide(c.id, "approve")}
                      kind="primary"
                      testid=${`approve-change-${c.id}`}
                    />
                    <${Action}
                      label=${t("reject")}
                      run=${() => decide(c.id, "reject")}
                      kind="danger"
                      disabled=${!(reasons[c.id] ?? "").trim()}
                      testid=${`reject-change-${c.id}`}
                    />
                  </div>`
                }
              </td>
            </tr>`}<//
        >`}<//
    >`;
}

function Requirements({ skills }) {
  const { t, lang } = useApp();
  const current = useAsync(() => api("/v1/admin/skill-documents"), []);
  return html`<h2>${t("lc_requirements")}</h2>
    <p class="muted small">${t("lc_requirementsHint")}</p>
    <${Loading} state=${current}
      >${() => {
        const bySkill = new Map(current.data.items.map((r) => [r.skill, r.kinds]));
        return html`<${ListTable} items=${skills} heads=${[t("skills"), t("documents"), ""]} testid="skill-documents-table"
          >${(s) =>
            html`<${RequirementRow}
              key=${s.code}
              code=${s.code}
              name=${localName(s.name, lang)}
              kinds=${bySkill.get(s.code) ?? []}
              onSaved=${current.reload}
            />`}<//
        >`;
      }}<//
    >`;
}

function RequirementRow({ code, name, kinds, onSaved }) {
  const { t } = useApp();
  const [chosen, setChosen] = useState(kinds);
  const [saved, setSaved] = useState(false);
  const toggle = (kind, on) => {
    setSaved(false);
    setChosen(on ? KINDS.filter((k) => k === kind || chosen.includes(k)) : chosen.filter((k) => k !== kind));
  };
  const save = async () => {
    const r = await api(`/v1/admin/skill-documents/${encodeURIComponent(code)}`, { method: "PUT", body: { kinds: chosen } });
    setChosen(r.kinds);
    setSaved(true);
    onSaved();
  };
  const changed = chosen.length !== kinds.length || chosen.some((k) => !kinds.includes(k));
  return html`<tr data-skill=${code}>
    <td>${name}</td>
    <td>
      ${KINDS.map(
        (k) =>
          html`<label class="check"
            ><input
              type="checkbox"
              name=${`kind-${code}-${k}`}
              checked=${chosen.includes(k)}
              onChange=${(e) => toggle(k, e.currentTarget.checked)}
            />
            ${t(k)}</label
          > `,
      )}
    </td>
    <td>
      <${Action} label=${t("save")} run=${save} disabled=${!changed} testid=${`save-skill-documents-${code}`} />
      ${saved && html`<span class="muted small" data-testid=${`saved-skill-documents-${code}`}>${t("lc_saved")}</span>`}
    </td>
  </tr>`;
}
