// A technician's public profile as customers see it (masked name, level, skills, rating breakdown,
// reviews) and the case showcase with each case's consent, for operators to hide a case.
import { useState } from "preact/hooks";
import { api } from "./api.js";
import { html, useApp, useAsync, Action, Loading, localName, when } from "./ui.js";

export function ProfilePreview({ id }) {
  const { t, lang } = useApp();
  const state = useAsync(() => api(`/v1/admin/technicians/${id}/profile?limit=50`), [id]);
  const label = (l) => localName(l, lang);
  return html`<section data-testid="profile-preview">
    <h3>${t("profile_preview")}</h3>
    <${Loading} state=${state}
      >${() => {
        const p = state.data.public;
        return html`${
            p === null
              ? html`<p class="muted" data-testid="profile-not-public">${t("profile_notPublic")}</p>`
              : html`<dl class="facts">
                  <dt>${t("profile_name")}</dt>
                  <dd data-testid="profile-name">${p.name}</dd>
                  <dt>${t("profile_level")}</dt>
                  <dd data-testid="profile-level">${label(p.level.label)}</dd>
                  <dt>${t("skills")}</dt>
                  <dd>${p.skills.map(label).join("、")}</dd>
                  <dt>${t("profile_photo")}</dt>
                  <dd>${p.photoUrl ? t("profile_hasPhoto") : t("profile_noPhoto")}</dd>
                  <dt>${t("rating")}</dt>
                  <dd>${p.rating.average.toFixed(2)} (${p.rating.count})</dd>
                  <dt>${t("profile_breakdown")}</dt>
                  <dd data-testid="profile-breakdown">
                    ${[5, 4, 3, 2, 1].map((s) => `${s}${t("profile_stars")} ${p.rating.breakdown[s]}`).join(" · ")}
                  </dd>
                  <dt>${t("profile_jobs")}</dt>
                  <dd data-testid="profile-jobs">${p.completedJobs}</dd>
                  <dt>${t("profile_reviews")}</dt>
                  <dd>
                    ${
                      p.reviews.items.length === 0
                        ? "—"
                        : p.reviews.items.map(
                            (r) => html`<div class="small">${r.overall.toFixed(2)} · ${r.customer} · ${r.text ?? ""}</div>`,
                          )
                    }
                  </dd>
                </dl>`
          }
          <h3>${t("profile_cases")}</h3>
          <p class="muted small">${t("profile_casesHint")}</p>
          ${
            state.data.cases.items.length === 0
              ? html`<p class="muted">${t("empty")}</p>`
              : html`<ul class="docs">
                  ${state.data.cases.items.map((c) => html`<${CaseRow} key=${c.id} c=${c} onChanged=${state.reload} />`)}
                </ul>`
          }`;
      }}<//
    >
  </section>`;
}

function CaseRow({ c, onChanged }) {
  const { t } = useApp();
  const [reason, setReason] = useState("");
  const shown = c.consent === "granted" && !c.hidden;
  const hide = async () => {
    await api(`/v1/admin/technician-cases/${c.id}/hide`, { method: "POST", body: { reason } });
    setReason("");
    onChanged();
  };
  return html`<li data-case-id=${c.id} data-shown=${String(shown)}>
    <span class=${`badge s-${shown ? "completed" : "cancelled"}`}>${shown ? t("profile_shown") : t("profile_notShown")}</span>
    ${c.caption ?? "—"} · ${t("profile_consent")}: <span data-testid="case-consent">${t(`consent_${c.consent}`)}</span> ·
    ${when(c.createdAt)}
    <span class="muted small mono">${c.orderId}</span>
    ${
      c.hidden
        ? html`<div class="small" data-testid="case-hidden">${t("profile_hidden")}: ${c.hiddenReason}</div>`
        : html`<div class="inline-form">
            <input
              name="hideReason"
              placeholder=${t("profile_hideReason")}
              value=${reason}
              onInput=${(e) => setReason(e.currentTarget.value)}
            />
            <${Action} label=${t("profile_hide")} run=${hide} kind="danger" disabled=${!reason.trim()} testid="hide-case" />
          </div>`
    }
  </li>`;
}
