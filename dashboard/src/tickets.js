// After-sales tickets: the queue (status, category, overdue, the chosen city) and a ticket's detail
// with its log and evidence, its support conversation (read and reply: the reply takes the
// conversation when nobody holds it), and the actions: review, note, reject, resolve (rework visit,
// refund, coupon, penalty). Money is typed in yuan and sent in fen; a decision carries one Idempotency-Key
// per open form, so a retried click never decides twice.
import { useEffect, useState } from "preact/hooks";
import { api } from "./api.js";
import { fen, optional } from "./forms.js";
import { html, useApp, useAsync, newKey, Action, Badge, Drawer, ErrorNote, ListTable, Loading, when } from "./ui.js";

const CATEGORIES = ["quality", "damage", "lateness", "attitude", "overcharge", "safety"];
const STATUSES = ["open", "in_review", "resolved", "rejected"];

export function Tickets({ openId }) {
  const { t, cityId } = useApp();
  const [status, setStatus] = useState("");
  const [category, setCategory] = useState("");
  const [overdue, setOverdue] = useState(false);
  const [open, setOpen] = useState(openId ?? null);
  const query = [`city=${cityId}`, "limit=100", status && `status=${status}`, category && `category=${category}`, overdue && "overdue=true"]
    .filter(Boolean)
    .join("&");
  const list = useAsync(() => api(`/v1/admin/tickets?${query}`), [query]);
  return html`<section data-screen="tickets">
    <h2>${t("tk_title")}</h2>
    <div class="filters">
      <select name="ticketStatus" value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
        <option value="">${t("tk_allStatuses")}</option>
        ${STATUSES.map((s) => html`<option value=${s}>${t(`tk_s_${s}`)}</option>`)}
      </select>
      <select name="ticketCategory" value=${category} onChange=${(e) => setCategory(e.currentTarget.value)}>
        <option value="">${t("tk_allCategories")}</option>
        ${CATEGORIES.map((c) => html`<option value=${c}>${t(`tk_c_${c}`)}</option>`)}
      </select>
      <label class="inline"
        ><input type="checkbox" name="ticketOverdue" checked=${overdue} onChange=${(e) => setOverdue(e.currentTarget.checked)} />
        ${t("tk_overdueOnly")}</label
      >
    </div>
    <${Loading} state=${list}
      >${() =>
        html`<${ListTable}
          items=${list.data.items}
          heads=${[t("tk_category"), t("status"), t("tk_order"), t("tk_resolutionDue"), t("tk_opened"), ""]}
          testid="tickets-table"
          >${(k) =>
            html`<tr key=${k.id} data-ticket=${k.id} class=${k.sla.overdue ? "late" : ""}>
              <td>${t(`tk_c_${k.category}`)}</td>
              <td>${t(`tk_s_${k.status}`)} ${k.sla.overdue && html`<${Badge} value="late" kind="danger" />`}</td>
              <td class="mono">${k.orderId}</td>
              <td>${when(k.sla.resolutionDueAt)}</td>
              <td>${when(k.createdAt)}</td>
              <td><button class="link" onClick=${() => setOpen(k.id)} data-testid=${`open-ticket-${k.id}`}>${t("tk_open")}</button></td>
            </tr>`}<//
        >`}<//
    >
    ${open && html`<${TicketDetail} id=${open} onClose=${() => setOpen(null)} onChanged=${() => list.reload?.()} />`}
  </section>`;
}

/** An evidence photo, fetched with the session (the image route needs the bearer token). */
function Evidence({ ticketId, entryId }) {
  const [src, setSrc] = useState(null);
  useEffect(() => {
    let made = null;
    api(`/v1/tickets/${ticketId}/photos/${entryId}`, { raw: true })
      .then((r) => r.blob())
      .then((b) => setSrc((made = URL.createObjectURL(b))))
      .catch(() => setSrc(null));
    return () => made && URL.revokeObjectURL(made);
  }, [ticketId, entryId]);
  return src ? html`<img class="evidence" src=${src} alt="" width="120" />` : html`<span class="muted">…</span>`;
}

function TicketDetail({ id, onClose, onChanged }) {
  const { t } = useApp();
  const detail = useAsync(() => api(`/v1/tickets/${id}`), [id]);
  const changed = () => {
    detail.reload?.();
    onChanged?.();
  };
  return html`<${Drawer} title=${t("tk_ticket")} onClose=${onClose}
    ><${Loading} state=${detail}
      >${() => {
        const k = detail.data;
        const live = k.status === "open" || k.status === "in_review";
        return html`<div data-testid="ticket-detail" data-status=${k.status}>
          <p>
            <b>${t(`tk_c_${k.category}`)}</b> · <span data-testid="ticket-status">${t(`tk_s_${k.status}`)}</span>
            ${k.sla.overdue && html` · <${Badge} value="late" kind="danger" />`}
          </p>
          <p>${k.description}</p>
          <dl>
            <dt>${t("tk_order")}</dt>
            <dd class="mono">${k.orderId}</dd>
            <dt>${t("tk_firstResponseDue")}</dt>
            <dd>${when(k.sla.firstResponseDueAt)}${k.sla.firstRespondedAt ? ` ✓ ${when(k.sla.firstRespondedAt)}` : ""}</dd>
            <dt>${t("tk_resolutionDue")}</dt>
            <dd>${when(k.sla.resolutionDueAt)}</dd>
          </dl>
          ${k.resolution && html`<${ResolutionView} r=${k.resolution} reworkOrderId=${k.reworkOrderId} />`}
          <h3>${t("tk_log")}</h3>
          <ol class="ticket-log" data-testid="ticket-log">
            ${k.entries.map(
              (e) =>
                html`<li key=${e.id} data-kind=${e.kind}>
                  <small>${when(e.createdAt)} · ${t(`tk_a_${e.authorType}`)} · ${t(`tk_k_${e.kind}`)}</small>
                  ${e.body && html`<div>${e.body}</div>`} ${e.photo && html`<${Evidence} ticketId=${k.id} entryId=${e.id} />`}
                </li>`,
            )}
          </ol>
          <${NoteForm} id=${k.id} onDone=${changed} />
          <${Conversation} ticketId=${k.id} conversation=${k.conversation} onDone=${changed} />
          ${
            k.status === "open" &&
            html`<${Action}
              label=${t("tk_review")}
              run=${async () => {
                await api(`/v1/admin/tickets/${k.id}/review`, { method: "POST" });
                changed();
              }}
              testid="review-ticket"
            />`
          }
          ${live && html`<${DecisionForm} ticket=${k} onDone=${changed} />`}
        </div>`;
      }}<//
    ><//
  >`;
}

/** The ticket's support conversation: its latest messages, each with who wrote it, and a reply box. */
function Conversation({ ticketId, conversation, onDone }) {
  const { t } = useApp();
  const [text, setText] = useState("");
  const messages = conversation?.messages ?? [];
  const shown = (m) =>
    m.erased ? t("tk_erased") : m.kind === "image" ? t("tk_image") : m.kind === "order" ? `${t("tk_orderCard")} ${m.orderId}` : m.text;
  return html`<div class="ticket-conversation">
    <h3>${t("tk_conversation")}</h3>
    ${conversation?.more && html`<p class="muted">${t("tk_olderMessages")}</p>`}
    <ol class="ticket-log" data-testid="ticket-conversation">
      ${messages.length === 0 && html`<li class="muted">${t("tk_noMessages")}</li>`}
      ${messages.map(
        (m) =>
          html`<li key=${m.id} data-side=${m.senderSide ?? ""}>
            <small>${when(m.createdAt)} · ${m.senderSide ? t(`tk_a_${m.senderSide}`) : ""}</small>
            <div>${shown(m)}</div>
          </li>`,
      )}
    </ol>
    <textarea
      name="ticketMessage"
      rows="2"
      placeholder=${t("tk_messagePlaceholder")}
      value=${text}
      onInput=${(e) => setText(e.currentTarget.value)}
    />
    <${Action}
      label=${t("tk_send")}
      disabled=${!text.trim()}
      run=${async () => {
        await api(`/v1/tickets/${ticketId}/messages`, { method: "POST", body: { text } });
        setText("");
        onDone();
      }}
      testid="send-ticket-message"
    />
  </div>`;
}

function ResolutionView({ r, reworkOrderId }) {
  const { t } = useApp();
  const yuan = (n) => `¥${(n / 100).toFixed(2)}`;
  return html`<div class="resolution" data-testid="ticket-resolution">
    <p><b>${t(`tk_s_${r.kind}`)}</b>: ${r.reason}</p>
    <ul>
      ${r.rework && html`<li data-testid="resolution-rework">${t("tk_rework")}: <span class="mono">${reworkOrderId}</span> · ${when(new Date(r.rework.start).toISOString())}</li>`}
      ${r.refund && html`<li>${t("tk_refund")}: ${yuan(r.refund.amount)}</li>`}
      ${r.coupon && html`<li>${t("tk_coupon")}: ${yuan(r.coupon.amount)} <span class="mono">${r.coupon.code}</span></li>`}
      ${r.penalty && html`<li>${t("tk_penalty")}: ${yuan(r.penalty.amount)}, ${r.penalty.points} ${t("tk_points")}</li>`}
    </ul>
  </div>`;
}

function NoteForm({ id, onDone }) {
  const { t } = useApp();
  const [body, setBody] = useState("");
  const [reply, setReply] = useState(false);
  return html`<div class="note">
    <textarea
      name="ticketNote"
      rows="2"
      placeholder=${t("tk_notePlaceholder")}
      value=${body}
      onInput=${(e) => setBody(e.currentTarget.value)}
    />
    <label class="inline"
      ><input type="checkbox" name="ticketReply" checked=${reply} onChange=${(e) => setReply(e.currentTarget.checked)} />
      ${t("tk_visibleReply")}</label
    >
    <${Action}
      label=${t("tk_addNote")}
      disabled=${!body.trim()}
      run=${async () => {
        await api(`/v1/tickets/${id}/entries`, { method: "POST", body: { body, kind: reply ? "statement" : "note" } });
        setBody("");
        onDone();
      }}
      testid="add-note"
    />
  </div>`;
}

/** A datetime-local value as ISO 8601 with its offset (or the text as typed, for the API to refuse). */
const iso = (text) => {
  const d = new Date(text);
  return String(text).trim() !== "" && !Number.isNaN(d.getTime()) ? d.toISOString() : text;
};

function DecisionForm({ ticket, onDone }) {
  const { t } = useApp();
  const [key] = useState(newKey);
  const [reason, setReason] = useState("");
  const [parts, setParts] = useState({ rework: false, refund: false, coupon: false, penalty: false });
  const [v, setV] = useState({ start: "", who: "same", technicianId: "", refund: "", coupon: "", penalty: "" });
  const [error, setError] = useState(null);
  const set = (k) => (e) => setV({ ...v, [k]: e.currentTarget.value });
  const toggle = (k) => (e) => setParts({ ...parts, [k]: e.currentTarget.checked });
  const body = () => ({
    reason,
    ...(parts.rework
      ? {
          rework: {
            start: iso(v.start),
            ...(v.who === "any" ? { technicianId: null } : v.who === "other" ? { technicianId: v.technicianId } : {}),
          },
        }
      : {}),
    ...(parts.refund ? { refund: { amount: optional(v.refund, fen) } } : {}),
    ...(parts.coupon ? { coupon: { amount: fen(v.coupon) } } : {}),
    ...(parts.penalty ? { penalty: { amount: fen(v.penalty) } } : {}),
  });
  const run = (what) => async () => {
    setError(null);
    try {
      const headers = { "Idempotency-Key": `${key}-${what}` };
      if (what === "reject") await api(`/v1/admin/tickets/${ticket.id}/reject`, { method: "POST", body: { reason }, headers });
      else await api(`/v1/admin/tickets/${ticket.id}/resolve`, { method: "POST", body: body(), headers });
      onDone();
    } catch (e) {
      setError(e);
    }
  };
  return html`<div class="decision" data-testid="ticket-decision">
    <h3>${t("tk_decide")}</h3>
    <label>${t("tk_reason")} <input name="ticketReason" value=${reason} onInput=${(e) => setReason(e.currentTarget.value)} /></label>
    <fieldset>
      <label class="inline"
        ><input type="checkbox" name="partRework" checked=${parts.rework} onChange=${toggle("rework")} /> ${t("tk_rework")}</label
      >
      ${
        parts.rework &&
        html`<div>
          <label>${t("tk_reworkStart")} <input type="datetime-local" name="reworkStart" value=${v.start} onInput=${set("start")} /></label>
          <select name="reworkWho" value=${v.who} onChange=${set("who")}>
            <option value="same">${t("tk_sameTechnician")}</option>
            <option value="other">${t("tk_otherTechnician")}</option>
            <option value="any">${t("tk_anyTechnician")}</option>
          </select>
          ${v.who === "other" && html`<input name="reworkTechnician" placeholder="tch_…" value=${v.technicianId} onInput=${set("technicianId")} />`}
        </div>`
      }
      <label class="inline"
        ><input type="checkbox" name="partRefund" checked=${parts.refund} onChange=${toggle("refund")} /> ${t("tk_refund")}</label
      >
      ${parts.refund && html`<label>¥ <input name="refundYuan" inputmode="decimal" placeholder=${t("tk_refundAll")} value=${v.refund} onInput=${set("refund")} /></label>`}
      <label class="inline"
        ><input type="checkbox" name="partCoupon" checked=${parts.coupon} onChange=${toggle("coupon")} /> ${t("tk_coupon")}</label
      >
      ${parts.coupon && html`<label>¥ <input name="couponYuan" inputmode="decimal" value=${v.coupon} onInput=${set("coupon")} /></label>`}
      <label class="inline"
        ><input type="checkbox" name="partPenalty" checked=${parts.penalty} onChange=${toggle("penalty")} /> ${t("tk_penalty")}</label
      >
      ${parts.penalty && html`<label>¥ <input name="penaltyYuan" inputmode="decimal" value=${v.penalty} onInput=${set("penalty")} /></label>`}
    </fieldset>
    <button class="primary" disabled=${!reason.trim()} onClick=${run("resolve")} data-testid="resolve-ticket">${t("tk_resolve")}</button>
    <button class="danger" disabled=${!reason.trim()} onClick=${run("reject")} data-testid="reject-ticket">${t("tk_reject")}</button>
    <${ErrorNote} error=${error} />
  </div>`;
}
