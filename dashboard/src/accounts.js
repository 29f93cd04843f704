// Accounts for operators: find one by phone or list the disabled ones; disable (ban) with a reason, or enable again.
import { useState } from "preact/hooks";
import { api } from "./api.js";
import { html, useApp, useAsync, Action, ListTable, Loading, when } from "./ui.js";

/** The reason codes of POST /v1/admin/accounts/{id}/disable, in the order staff pick them. */
export const DISABLE_REASONS = ["fraud", "payment_abuse", "harassment", "fake_orders", "impersonation", "account_holder_request", "other"];

function DisableForm({ account, done }) {
  const { t } = useApp();
  const [reason, setReason] = useState("fraud");
  const [note, setNote] = useState("");
  const run = async () => {
    const body = note.trim() ? { reason, note: note.trim() } : { reason };
    await api(`/v1/admin/accounts/${account.id}/disable`, { method: "POST", body });
    done();
  };
  return html`<span class="inline-form">
    <select name="reason" value=${reason} onChange=${(e) => setReason(e.currentTarget.value)} data-testid="disable-reason">
      ${DISABLE_REASONS.map((r) => html`<option value=${r}>${t(`reason_${r}`)}</option>`)}
    </select>
    <input name="note" maxlength="500" placeholder=${t("staffNote")} value=${note} onInput=${(e) => setNote(e.currentTarget.value)} />
    <${Action} label=${t("disableAccount")} kind="danger" run=${run} testid="disable" />
  </span>`;
}

export function Accounts() {
  const { t } = useApp();
  const [phone, setPhone] = useState("");
  const [query, setQuery] = useState({ status: "disabled", phone: "" });
  const state = useAsync(() => {
    const q = query.phone ? `phone=${encodeURIComponent(query.phone)}` : `status=${query.status}`;
    return api(`/v1/admin/accounts?limit=100&${q}`);
  }, [query.status, query.phone]);
  const search = (e) => {
    e.preventDefault();
    setQuery({ status: "disabled", phone: phone.trim() });
  };
  const enable = async (id) => {
    await api(`/v1/admin/accounts/${id}/enable`, { method: "POST" });
    state.reload();
  };
  return html`<section>
    <h1>${t("accounts")}</h1>
    <p class="muted small">${t("accountsHelp")}</p>
    <form class="filters" onSubmit=${search}>
      <input name="phone" type="tel" placeholder=${t("phone")} value=${phone} onInput=${(e) => setPhone(e.currentTarget.value)} />
      <button type="submit" data-testid="find-account">${t("find")}</button>
      <button
        type="button"
        class="ghost"
        onClick=${() => {
          setPhone("");
          setQuery({ status: "disabled", phone: "" });
        }}
      >
        ${t("disabledAccounts")}
      </button>
    </form>
    <${Loading} state=${state}
      >${() =>
        html`<${ListTable}
          items=${state.data.items}
          testid="accounts"
          heads=${["ID", t("phone"), t("roles"), t("status"), t("disableReason"), ""]}
          >${(a) =>
            html`<tr key=${a.id} data-account=${a.id} data-status=${a.status}>
              <td class="mono small">${a.id}</td>
              <td>${a.phone}${a.name ? html`<div class="muted small">${a.name}</div>` : null}</td>
              <td class="small">${a.roles.map((r) => t(`role_${r}`)).join(", ")}</td>
              <td>${a.status === "disabled" ? t("accountDisabled") : t("accountActive")}</td>
              <td class="small">
                ${
                  a.disabled &&
                  html`<span data-testid="reason">${t(`reason_${a.disabled.reason}`)}</span>
                    <div class="muted small">${when(a.disabled.at)}${a.disabled.note ? ` · ${a.disabled.note}` : ""}</div>`
                }
              </td>
              <td>
                ${
                  a.status === "disabled"
                    ? html`<${Action} label=${t("enableAccount")} run=${() => enable(a.id)} testid="enable" />`
                    : html`<${DisableForm} account=${a} done=${() => state.reload()} />`
                }
              </td>
            </tr>`}<//
        >`}<//
    >
  </section>`;
}
