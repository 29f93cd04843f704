/* global WebSocket, clearTimeout -- the browser's */
// The staff inbox: support conversations (unassigned, assigned, mine) with the SLA timer, claiming,
// replies with canned answers, hand-off to another staff member, and the canned answers themselves.
// Live: the inbox's WebSocket pushes every opening, message, claim and hand-off (never a text), and
// the list reloads; it polls only while that socket is closed. Reading a conversation one does not
// hold needs a stated reason (the server audits it), asked for here before anything is shown.
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "./api.js";
import { html, useApp, useAsync, Action, ErrorNote, Loading, Tabs, when } from "./ui.js";

/** Seconds between polls while the socket is closed (localStorage `doorstep.inboxPollSeconds` overrides). */
const pollSeconds = () => Number(localStorage.getItem("doorstep.inboxPollSeconds")) || 15;

/**
 * The staff inbox's socket (a single-use ticket, then `?ticket=`): `onEvent` for every pushed change
 * and once on every (re)connection, to catch up on what happened while it was closed. Reconnects
 * after 5 s. True while open.
 */
function useInboxSocket(onEvent) {
  const [live, setLive] = useState(false);
  const saved = useRef(onEvent);
  saved.current = onEvent;
  useEffect(() => {
    let ws = null;
    let stopped = false;
    let retry = null;
    let ping = null;
    const again = () => {
      if (!stopped) retry = setTimeout(connect, 5_000);
    };
    async function connect() {
      try {
        const { ticket } = await api("/v1/admin/conversations/live/ticket", { method: "POST" });
        if (stopped) return;
        const scheme = location.protocol === "https:" ? "wss" : "ws";
        ws = new WebSocket(`${scheme}://${location.host}/v1/admin/conversations/live?ticket=${encodeURIComponent(ticket)}`);
        ws.onopen = () => {
          setLive(true);
          ping = setInterval(() => ws?.readyState === WebSocket.OPEN && ws.send('{"type":"ping"}'), 30_000);
          saved.current({ type: "connected" });
        };
        ws.onmessage = (e) => {
          try {
            const m = JSON.parse(e.data);
            if (m?.type === "inbox") saved.current(m);
          } catch {
            // not JSON: ignored
          }
        };
        ws.onclose = () => {
          setLive(false);
          clearInterval(ping);
          ws = null;
          again();
        };
      } catch {
        again();
      }
    }
    connect();
    return () => {
      stopped = true;
      clearTimeout(retry);
      clearInterval(ping);
      ws?.close();
    };
  }, []);
  return live;
}

/** "12:05" style duration of a wait in seconds. */
const waited = (s) => (s === null || s === undefined ? "–" : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`);

export function Inbox() {
  const { t, me } = useApp();
  const [state, setState] = useState("unassigned");
  const [openId, setOpenId] = useState(null);
  const list = useAsync(() => api(`/v1/admin/conversations?state=${state}&limit=100`), [state]);
  // Bumped when a pushed change concerns the open conversation: the thread reloads what it may.
  const [changed, setChanged] = useState(0);
  const openRef = useRef(openId);
  openRef.current = openId;
  const live = useInboxSocket((event) => {
    list.reload();
    if (event.type === "connected" || event.conversationId === openRef.current) setChanged((n) => n + 1);
  });
  useEffect(() => {
    if (live) return undefined;
    const id = setInterval(() => document.visibilityState === "visible" && list.reload(), pollSeconds() * 1000);
    return () => clearInterval(id);
  }, [live, list.reload]);
  return html`<section data-live=${live ? "on" : "off"}>
    <h1>${t("inbox")}</h1>
    <p class="muted small">${t("inboxHelp")}</p>
    <p class=${`small ${live ? "muted" : "error-text"}`} data-testid="inbox-live">${live ? t("inboxLiveOn") : t("inboxLiveOff")}</p>
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
      ${openId && html`<${Thread} key=${openId} id=${openId} changed=${changed} onChange=${() => list.reload()} />`}
    </div>
    <${CannedAnswers} />
  </section>`;
}

/** Asks why the staff member reads a conversation they do not hold (the server audits it); claiming needs none. */
function ReasonForm({ id, onReason, onClaimed }) {
  const { t } = useApp();
  const [draft, setDraft] = useState("");
  const [error, setError] = useState(null);
  const claim = async () => {
    setError(null);
    try {
      await api(`/v1/admin/conversations/${id}/claim`, { method: "POST" });
      onClaimed();
    } catch (e) {
      setError(e);
    }
  };
  return html`<div class="thread" data-testid="thread">
    <h2>${id}</h2>
    <${Action} label=${t("inboxClaim")} run=${claim} testid="claim" />
    <form
      data-testid="reason-form"
      onSubmit=${(e) => {
        e.preventDefault();
        if (draft.trim()) onReason(draft.trim());
      }}
    >
      <h3>${t("inboxReasonTitle")}</h3>
      <p class="muted small">${t("inboxReasonHelp")}</p>
      <label
        >${t("inboxReason")} <input name="readReason" maxlength="200" value=${draft} onInput=${(e) => setDraft(e.currentTarget.value)}
      /></label>
      <button type="submit" disabled=${!draft.trim()} data-testid="read-with-reason">${t("inboxRead")}</button>
    </form>
    <${ErrorNote} error=${error} />
  </div>`;
}

function Thread({ id, changed, onChange }) {
  const { t, me } = useApp();
  // The stated reason, once given: sent with every read of this conversation (each read is audited).
  const [reason, setReason] = useState(null);
  const q = reason ? `reason=${encodeURIComponent(reason)}` : "";
  const conv = useAsync(() => api(`/v1/conversations/${id}${q ? `?${q}` : ""}`), [id, q]);
  const msgs = useAsync(() => api(`/v1/conversations/${id}/messages?limit=50${q ? `&${q}` : ""}`), [id, q]);
  const canned = useAsync(() => api("/v1/admin/canned-answers"), []);
  const [text, setText] = useState("");
  const [to, setTo] = useState("");
  const [error, setError] = useState(null);
  const reload = () => {
    conv.reload();
    msgs.reload();
    onChange();
  };
  // A pushed change: a thread read without a reason (mine, or the requester's own) follows it live;
  // one read with a reason is not read again unasked (every read would be another audit entry).
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (!reason) {
      conv.reload();
      msgs.reload();
    }
  }, [changed]);
  const run = async (fn) => {
    setError(null);
    try {
      await fn();
      reload();
    } catch (e) {
      setError(e);
    }
  };
  if (conv.error?.code === "REASON_REQUIRED") {
    return html`<${ReasonForm} id=${id} onReason=${setReason} onClaimed=${() => (reason ? setReason(null) : reload())} />`;
  }
  return html`<${Loading} state=${conv}
    >${() => {
      const c = conv.data;
      const mine = c.assigneeId === me?.id;
      return html`<div class="thread" data-testid="thread">
        <h2>${c.id} ${c.orderId ? html`<span class="muted small">· ${c.orderId}</span>` : ""}</h2>
        ${reason && html`<p class="muted small" data-testid="read-reason">${t("inboxReadingWithReason")} ${reason}</p>`}
        ${
          !c.assigneeId &&
          html`<${Action}
            label=${t("inboxClaim")}
            run=${() =>
              run(async () => {
                await api(`/v1/admin/conversations/${id}/claim`, { method: "POST" });
                setReason(null);
              })}
            testid="claim"
          />`
        }
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
