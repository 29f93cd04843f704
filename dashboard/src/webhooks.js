// Outbound webhooks for integrators: subscriptions (create, pause/resume, rotate the secret, delete) and the
// delivery log (attempts, status code, latency, next retry, bodies; replay one or every failed one since a day).
import { useState } from "preact/hooks";
import { api } from "./api.js";
import { html, useApp, useAsync, Action, ErrorNote, FieldError, ListTable, Loading, when } from "./ui.js";

/** The event types of POST /v1/admin/webhook-subscriptions. */
export const EVENT_TYPES = [
  "order.created",
  "order.confirmed",
  "order.assigned",
  "order.completed",
  "order.cancelled",
  "payment.succeeded",
  "refund.succeeded",
  "review.posted",
];

/** The secret of a new or rotated subscription, shown this once. */
function SecretOnce({ secret, done }) {
  const { t } = useApp();
  return html`<div class="card" data-testid="secret-once" role="status">
    <b>${t("secretOnce")}</b>
    <p class="muted small">${t("secretOnceHelp")}</p>
    <code class="mono" data-testid="secret">${secret}</code>
    <div><button class="ghost" onClick=${done}>${t("close")}</button></div>
  </div>`;
}

function CreateForm({ created }) {
  const { t, isPlatform, merchants } = useApp();
  const [url, setUrl] = useState("https://");
  const [events, setEvents] = useState(["order.created"]);
  const [description, setDescription] = useState("");
  const [merchantId, setMerchantId] = useState("");
  const [error, setError] = useState(null);
  const toggle = (ev) => setEvents((cur) => (cur.includes(ev) ? cur.filter((x) => x !== ev) : [...cur, ev]));
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    try {
      const body = { url: url.trim(), events };
      if (description.trim()) body.description = description.trim();
      if (isPlatform && merchantId) body.merchantId = merchantId;
      created(await api("/v1/admin/webhook-subscriptions", { method: "POST", body }));
    } catch (err) {
      setError(err);
    }
  };
  return html`<form class="card" onSubmit=${submit} data-testid="webhook-form">
    <h2>${t("newWebhook")}</h2>
    <label>${t("webhookUrl")} <input name="url" type="url" size="50" value=${url} onInput=${(e) => setUrl(e.currentTarget.value)} /></label>
    <${FieldError} error=${error} path="body.url" />
    <fieldset>
      <legend>${t("webhookEvents")}</legend>
      ${EVENT_TYPES.map(
        (ev) =>
          html`<label class="check"
            ><input type="checkbox" name=${`event-${ev}`} checked=${events.includes(ev)} onChange=${() => toggle(ev)} />
            ${t(`ev_${ev}`)}</label
          >`,
      )}
    </fieldset>
    <label
      >${t("description")}
      <input name="description" maxlength="200" value=${description} onInput=${(e) => setDescription(e.currentTarget.value)}
    /></label>
    ${
      isPlatform &&
      html`<label
        >${t("merchant")}
        <select name="merchantId" value=${merchantId} onChange=${(e) => setMerchantId(e.currentTarget.value)}>
          <option value="">${t("allOrdersPlatform")}</option>
          ${(merchants ?? []).map((m) => html`<option value=${m.id}>${m.name}</option>`)}
        </select></label
      >`
    }
    <${ErrorNote} error=${error} />
    <button type="submit" data-testid="subscribe" disabled=${events.length === 0}>${t("subscribe")}</button>
  </form>`;
}

function Deliveries({ subscriptionId }) {
  const { t } = useApp();
  const [status, setStatus] = useState("");
  const state = useAsync(
    () =>
      api(
        `/v1/admin/webhook-deliveries?limit=100${subscriptionId ? `&subscriptionId=${subscriptionId}` : ""}${status ? `&status=${status}` : ""}`,
      ),
    [subscriptionId, status],
  );
  const replay = async (id) => {
    await api(`/v1/admin/webhook-deliveries/${id}/replay`, { method: "POST" });
    state.reload();
  };
  return html`<section>
    <h2>${t("deliveries")}</h2>
    <div class="filters">
      <select name="deliveryStatus" value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
        <option value="">${t("all")}</option>
        ${["pending", "retrying", "succeeded", "failed", "held"].map((s) => html`<option value=${s}>${t(`wh_${s}`)}</option>`)}
      </select>
      <button class="ghost" onClick=${() => state.reload()} data-testid="reload-deliveries">${t("refresh")}</button>
    </div>
    <${Loading} state=${state}
      >${() =>
        html`<${ListTable}
          items=${state.data.items}
          testid="webhook-deliveries"
          heads=${[
            t("webhookEvents"),
            t("status"),
            { label: t("attempts"), num: true },
            { label: t("statusCode"), num: true },
            { label: t("latency"), num: true },
            t("nextRetry"),
            t("createdAt"),
            "",
          ]}
          >${(d) =>
            html`<tr key=${d.id} data-delivery=${d.id} data-status=${d.status}>
              <td>
                ${t(`ev_${d.eventType}`)}
                <div class="muted small mono">${d.orderId ?? ""}</div>
                <details>
                  <summary class="small">${t("bodies")}</summary>
                  <div class="small">${t("requestBody")}</div>
                  <pre class="mono small" data-testid="request-body">${d.requestBody}</pre>
                  <div class="small">${t("responseBody")}</div>
                  <pre class="mono small">${d.responseBody ?? "—"}</pre>
                  ${d.lastError && html`<div class="small error-text">${d.lastError}</div>`}
                </details>
              </td>
              <td data-testid="delivery-status">${t(`wh_${d.status}`)}</td>
              <td class="num">${d.attempts}</td>
              <td class="num">${d.lastStatusCode ?? "—"}</td>
              <td class="num">${d.lastLatencyMs === null ? "—" : `${d.lastLatencyMs} ms`}</td>
              <td class="small">${d.nextRetryAt ? when(d.nextRetryAt) : "—"}</td>
              <td class="small">${when(d.createdAt)}</td>
              <td>
                ${d.status !== "pending" && html`<${Action} label=${t("replay")} run=${() => replay(d.id)} testid="replay-delivery" />`}
              </td>
            </tr>`}<//
        >`}<//
    >
  </section>`;
}

export function Webhooks() {
  const { t } = useApp();
  const [secret, setSecret] = useState(null);
  const [creating, setCreating] = useState(false);
  const [selected, setSelected] = useState(null);
  const [note, setNote] = useState(null);
  const state = useAsync(() => api("/v1/admin/webhook-subscriptions?limit=100"), []);
  const change = async (id, body) => {
    await api(`/v1/admin/webhook-subscriptions/${id}`, { method: "PATCH", body });
    state.reload();
  };
  const rotate = async (id) => {
    const r = await api(`/v1/admin/webhook-subscriptions/${id}/rotate-secret`, { method: "POST", body: { overlapSeconds: 86400 } });
    setSecret(r.secret);
    state.reload();
  };
  const remove = async (id) => {
    await api(`/v1/admin/webhook-subscriptions/${id}`, { method: "DELETE" });
    if (selected === id) setSelected(null);
    state.reload();
  };
  const replayFailed = async (id) => {
    const since = new Date(Date.now() - 86_400_000).toISOString();
    const r = await api(`/v1/admin/webhook-subscriptions/${id}/replay`, { method: "POST", body: { since } });
    setNote(`${t("replayedCount")}: ${r.replayed}`);
  };
  return html`<section>
    <h1>${t("webhooks")}</h1>
    <p class="muted small">${t("webhooksHelp")}</p>
    ${secret && html`<${SecretOnce} secret=${secret} done=${() => setSecret(null)} />`}
    ${note && html`<p class="muted small" role="status" data-testid="webhook-note">${note}</p>`}
    ${
      creating
        ? html`<${CreateForm}
            created=${(r) => {
              setSecret(r.secret);
              setCreating(false);
              state.reload();
            }}
          />`
        : html`<button onClick=${() => setCreating(true)} data-testid="new-webhook">${t("newWebhook")}</button>`
    }
    <${Loading} state=${state}
      >${() =>
        html`<${ListTable}
          items=${state.data.items}
          testid="webhook-subscriptions"
          heads=${[t("webhookUrl"), t("webhookEvents"), t("status"), t("merchant"), t("createdAt"), ""]}
          >${(s) =>
            html`<tr key=${s.id} data-subscription=${s.id} data-status=${s.status}>
              <td class="mono small">${s.url}${s.description ? html`<div class="muted small">${s.description}</div>` : null}</td>
              <td class="small">${s.events.map((e) => t(`ev_${e}`)).join(", ")}</td>
              <td>
                ${t(`wh_${s.status}`)}
                ${s.previousSecretExpiresAt && html`<div class="muted small">${t("previousSecretUntil")} ${when(s.previousSecretExpiresAt)}</div>`}
              </td>
              <td class="small mono">${s.merchantId ?? t("allOrdersPlatform")}</td>
              <td class="small">${when(s.createdAt)}</td>
              <td>
                <button class="ghost" onClick=${() => setSelected(s.id)} data-testid="show-deliveries">${t("deliveries")}</button>
                ${
                  s.status === "active"
                    ? html`<${Action} label=${t("pause")} run=${() => change(s.id, { status: "paused" })} testid="pause" />`
                    : html`<${Action} label=${t("resume")} run=${() => change(s.id, { status: "active" })} testid="resume" />`
                }
                <${Action} label=${t("rotateSecret")} run=${() => rotate(s.id)} testid="rotate" />
                <${Action} label=${t("replayFailed")} run=${() => replayFailed(s.id)} testid="replay-failed" />
                <${Action} label=${t("deleteWebhook")} kind="danger" run=${() => remove(s.id)} testid="delete-webhook" />
              </td>
            </tr>`}<//
        >`}<//
    >
    <${Deliveries} key=${selected ?? "all"} subscriptionId=${selected} />
  </section>`;
}
