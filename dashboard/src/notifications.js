// Notifications the queue gave up on (dead letters), for operators: what failed and why, and replay.
import { useState } from "preact/hooks";
import { api } from "./api.js";
import { html, useApp, useAsync, Action, ListTable, Loading, when } from "./ui.js";

export function DeadLetters() {
  const { t } = useApp();
  const [pending, setPending] = useState(true);
  const state = useAsync(() => api(`/v1/admin/notifications/dead-letters?limit=100${pending ? "&pending=true" : ""}`), [pending]);
  const replay = async (id) => {
    await api(`/v1/admin/notifications/dead-letters/${id}/replay`, { method: "POST" });
    state.reload();
  };
  return html`<section>
    <h1>${t("deadLetters")}</h1>
    <p class="muted small">${t("deadLettersHelp")}</p>
    <div class="filters">
      <label class="check"
        ><input type="checkbox" checked=${pending} onChange=${(e) => setPending(e.currentTarget.checked)} name="pendingOnly" />
        ${t("notReplayed")}</label
      >
    </div>
    <${Loading} state=${state}
      >${() =>
        html`<${ListTable}
          items=${state.data.items}
          testid="dead-letters"
          heads=${["ID", t("topic"), t("lastError"), { label: t("attempts"), num: true }, t("createdAt"), ""]}
          >${(d) =>
            html`<tr key=${d.id} data-dead-letter=${d.id}>
              <td class="mono small">${d.id}</td>
              <td>
                ${d.topic}
                <div class="muted small mono">
                  ${Object.entries(d.payload)
                    .filter(([, v]) => typeof v === "string")
                    .slice(0, 2)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(" ")}
                </div>
              </td>
              <td class="small error-text">${d.error}</td>
              <td class="num">${d.attempts}</td>
              <td class="small">${when(d.createdAt)}</td>
              <td>
                ${d.replayedAt ? html`<span class="muted small">${t("replayed")} ${when(d.replayedAt)}</span>` : html`<${Action} label=${t("replay")} run=${() => replay(d.id)} testid="replay" />`}
              </td>
            </tr>`}<//
        >`}<//
    >
  </section>`;
}
