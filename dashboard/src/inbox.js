// The staff inbox: support conversations (unassigned, assigned, mine) with the SLA timer, claiming,
// replies with canned answers, hand-off to another staff member, and the canned answers themselves.
import { useState } from "preact/hooks";
import { api } from "./api.js";
import { html, useApp, useAsync, useInterval, Action, ErrorNote, Loading, Tabs, when } from "./ui.js";

/** "12:05" style duration of a wait in seconds. */
const waited = (s) => (s === null || s === undefined ? "–" : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`);

export function Inbox() {
  const { t, me } = useApp();
  const [state, setState] = useState("unassigned");
  const [openId, setOpenId] = useState(null);
  const list = useAsync(() => api(`/v1/admin/conversations?state=${state}&limit=100`), [state]);
  useInterval(() => list.reload(), 15_000);
  return html`<section>
    <h1>${t("inbox")}</h1>
    <p class="muted small">${t("inboxHelp")}</p>
    <${Tabs}
      tabs=${[
        ["unassigned", t("inboxUnassigned")],
        ["assigned", t("inboxAssigned")],
        ["mine", t("inboxMine")],
      ]}
      value=${state}
      onChange=${(v) => {
        setState(v);
        setOpenId(null);
      }}
    />
    <div class="inbox">
      <${Loading} state=${list}
        >${() =>
          html`<p class="muted small">${t("inboxSla")}: ${list.data.slaMinutes} min</p>
            <table data-testid="inbox">
              <thead>
                <tr>
                  <th>ID</th>
                  <th>${t("inboxLast")}</th>
                  <th>${t("inboxWaiting")}</th>
                  <th>${t("inboxAssignee")}</th>
                </tr>
              </thead>
              <tbody>
                ${
                  list.data.items.length === 0
                    ? html`<tr>
                        <td colspan="4" class="muted">${t("empty")}</td>
                      </tr>`
                    : list.data.items.map(
                        (c) =>
                          html`<tr
                            key=${c.id}
                            data-conversation=${c.id}
                            class=${`${c.overdue ? "overdue" : ""} ${openId === c.id ? "on" : ""}`}
                            onClick=${() => setOpenId(c.id)}
                          >
                            <td class="mono small">${c.id}</td>
                            <td>${c.lastText ?? "–"}</td>
                            <td class=${c.overdue ? "error-text" : ""} data-sla=${c.overdue ? "overdue" : "ok"}>
                              ${waited(c.waitingSeconds)} ${c.overdue ? html`<b>${t("inboxOverdue")}</b>` : ""}
                            </td>
                            <td class="small">${c.assigneeId === me?.id ? t("inboxMe") : (c.assigneeId ?? "–")}</td>
                          </tr>`,
                      )
                }
              </tbody>
            </table>`}<//
      >
      ${openId && html`<${Thread} key=${openId} id=${openId} onChange=${() => list.reload()} />`}
    </div>
    <${CannedAnswers} />
  </section>`;
}

function Thread({ id, onChange }) {
  const { t, me } = useApp();
  const conv = useAsync(() => api(`/v1/conversations/${id}`), [id]);
  const msgs = useAsync(() => api(`/v1/conversations/${id}/messages?limit=50`), [id]);
  const canned = useAsync(() => api("/v1/admin/canned-answers"), []);
  const [text, setText] = useState("");
  const [to, setTo] = useState("");
  const [error, setError] = useState(null);
  const reload = () => {
    conv.reload();
    msgs.reload();
    onChange();
  };
  const run = async (fn) => {
    setError(null);
    try {
      await fn();
      reload();
    } catch (e) {
      setError(e);
    }
  };
  return html`<${Loading} state=${conv}
    >${() => {
      const c = conv.data;
      const mine = c.assigneeId === me?.id;
      return html`<div class="thread" data-testid="thread">
        <h2>${c.id} ${c.orderId ? html`<span class="muted small">· ${c.orderId}</span>` : ""}</h2>
        ${!c.assigneeId && html`<${Action} label=${t("inboxClaim")} run=${() => run(() => api(`/v1/admin/conversations/${id}/claim`, { method: "POST" }))} testid="claim" />`}
        <${Loading} state=${msgs}
          >${() =>
            html`<ol class="messages" data-testid="messages">
              ${[...msgs.data.items].reverse().map(
                (m) =>
                  html`<li key=${m.id} class=${m.senderId === me?.id ? "from-me" : ""}>
                    <span class="muted small">${when(m.createdAt)}</span>
                    ${m.kind === "order" ? html`<a href=${`#/orders/${m.orderId}`}>${m.orderId}</a>` : m.kind === "image" ? t("inboxImage") : m.text}
                  </li>`,
              )}
            </ol>`}<//
        >
        ${
          mine &&
          html`<div class="reply">
              <select name="canned" onChange=${(e) => e.currentTarget.value && setText(e.currentTarget.value)}>
                <option value="">${t("inboxCanned")}</option>
                ${(canned.data?.items ?? []).map((a) => html`<option key=${a.id} value=${a.body}>${a.title}</option>`)}
              </select>
              <textarea name="reply" rows="3" value=${text} onInput=${(e) => setText(e.currentTarget.value)}></textarea>
              <${Action}
                label=${t("inboxSend")}
                disabled=${!text.trim()}
                run=${() =>
                  run(async () => {
                    await api(`/v1/conversations/${id}/messages`, { method: "POST", body: { text } });
                    setText("");
                  })}
                testid="send"
              />
            </div>
            <div class="handoff">
              <input name="handoffTo" placeholder=${t("inboxHandOffTo")} value=${to} onInput=${(e) => setTo(e.currentTarget.value)} />
              <${Action}
                label=${t("inboxHandOff")}
                disabled=${!to.trim()}
                run=${() => run(() => api(`/v1/admin/conversations/${id}/handoff`, { method: "POST", body: { staffId: to.trim() } }))}
                testid="handoff"
              />
            </div>`
        }
        <${ErrorNote} error=${error} />
      </div>`;
    }}<//
  >`;
}

function CannedAnswers() {
  const { t } = useApp();
  const list = useAsync(() => api("/v1/admin/canned-answers"), []);
  const [title, setTitle] = useState("");
  const [body, setBody] = useState("");
  const [editing, setEditing] = useState(null);
  const save = async () => {
    const payload = { method: /** @type {"PUT" | "POST"} */ (editing ? "PUT" : "POST"), body: { title, body } };
    await api(editing ? `/v1/admin/canned-answers/${editing}` : "/v1/admin/canned-answers", payload);
    setTitle("");
    setBody("");
    setEditing(null);
    list.reload();
  };
  return html`<section class="canned">
    <h2>${t("inboxCanned")}</h2>
    <${Loading} state=${list}
      >${() =>
        html`<ul data-testid="canned">
          ${list.data.items.map(
            (a) =>
              html`<li key=${a.id}>
                <b>${a.title}</b> ${a.body}
                <button
                  onClick=${() => {
                    setEditing(a.id);
                    setTitle(a.title);
                    setBody(a.body);
                  }}
                >
                  ${t("inboxEdit")}
                </button>
                <${Action}
                  label=${t("inboxDelete")}
                  run=${async () => {
                    await api(`/v1/admin/canned-answers/${a.id}`, { method: "DELETE" });
                    list.reload();
                  }}
                />
              </li>`,
          )}
        </ul>`}<//
    >
    <input name="cannedTitle" placeholder=${t("inboxCannedTitle")} value=${title} onInput=${(e) => setTitle(e.currentTarget.value)} />
    <textarea name="cannedBody" rows="2" value=${body} onInput=${(e) => setBody(e.currentTarget.value)}></textarea>
    <${Action} label=${t("inboxSave")} disabled=${!title.trim() || !body.trim()} run=${save} testid="save-canned" />
  </section>`;
}
