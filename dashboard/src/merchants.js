// Merchants: create one, rename it, switch it off or on, and choose its administrators (an account
// found or made by phone; phones shown masked).
import { useState } from "preact/hooks";
import { api } from "./api.js";
import { Form } from "./forms.js";
import { html, useApp, useAsync, Action, Badge, Drawer, Loading, ListTable } from "./ui.js";

export function Merchants() {
  const { t } = useApp();
  const list = useAsync(() => api("/v1/admin/merchants?limit=100"), []);
  const [open, setOpen] = useState(null);
  return html`<section data-screen="merchants">
    <h2>${t("merchants")}</h2>
    <${Loading} state=${list}
      >${() =>
        html`<${ListTable} items=${list.data.items} heads=${[t("name"), t("status"), t("merchantDispatch"), ""]} testid="merchants-table"
          >${(m) =>
            html`<tr key=${m.id} data-merchant=${m.id}>
              <td>
                ${m.name}
                <div class="muted small mono">${m.id}</div>
              </td>
              <td><${Badge} value=${m.active ? "active" : "inactive"} /></td>
              <td>${m.platformTechnicians ? t("ownThenPlatform") : t("ownOnly")}</td>
              <td><button class="link" onClick=${() => setOpen(m)} data-testid=${`edit-merchant-${m.id}`}>${t("edit")}</button></td>
            </tr>`}<//
        >`}<//
    >
    <h3>${t("newMerchant")}</h3>
    <${Form}
      testid="merchant-create"
      reset
      submitLabel=${t("create")}
      fields=${[{ key: "name", label: t("name") }]}
      submit=${(v) => api("/v1/admin/merchants", { method: "POST", body: { name: v.name } })}
      onDone=${list.reload}
    />
    ${
      open &&
      html`<${MerchantDrawer}
        merchant=${open}
        onClose=${() => setOpen(null)}
        onSaved=${(m) => {
          setOpen(m);
          list.reload();
        }}
      />`
    }
  </section>`;
}

function MerchantDrawer({ merchant, onClose, onSaved }) {
  const { t } = useApp();
  const admins = useAsync(() => api(`/v1/admin/merchants/${merchant.id}/admins?limit=100`), [merchant.id]);
  const remove = async (a) => {
    await api(`/v1/admin/merchants/${merchant.id}/admins/${a.accountId}`, { method: "DELETE" });
    admins.reload();
  };
  return html`<${Drawer} title=${merchant.name} onClose=${onClose}>
    <${Form}
      key=${merchant.updatedAt}
      testid="merchant-edit"
      fields=${[
        { key: "name", label: t("name") },
        { key: "active", label: t("merchantActive"), type: "checkbox" },
        { key: "platformTechnicians", label: t("ownThenPlatform"), type: "checkbox" },
      ]}
      initial=${merchant}
      submit=${(v) =>
        api(`/v1/admin/merchants/${merchant.id}`, {
          method: "PATCH",
          body: { name: v.name, active: v.active, platformTechnicians: v.platformTechnicians },
        })}
      onDone=${onSaved}
    />
    <h3>${t("merchantAdmins")}</h3>
    <${Loading} state=${admins}
      >${() =>
        html`<${ListTable} items=${admins.data.items} heads=${[t("phone"), t("name"), ""]} testid="merchant-admins"
          >${(a) =>
            html`<tr key=${a.accountId} data-admin=${a.accountId}>
              <td class="mono">${a.phone}</td>
              <td>${a.name ?? "—"}</td>
              <td><${Action} label=${t("remove")} kind="danger" run=${() => remove(a)} testid=${`remove-admin-${a.accountId}`} /></td>
            </tr>`}<//
        >`}<//
    >
    <p class="muted small">${t("merchantAdminHint")}</p>
    <${Form}
      testid="merchant-admin-add"
      reset
      submitLabel=${t("addAdmin")}
      fields=${[{ key: "phone", label: t("phone"), type: "tel", attrs: { placeholder: "+86" } }]}
      submit=${(v) => api(`/v1/admin/merchants/${merchant.id}/admins`, { method: "POST", body: { phone: v.phone.trim() } })}
      onDone=${admins.reload}
    />
  <//>`;
}
