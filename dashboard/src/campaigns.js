// Campaigns and coupon wallets. Campaigns: operators and merchant admins create them (new customer,
// win-back, birthday, or a promotion with a public code), see their budget spent, switch them off or
// change the budget; operators set each merchant's limits. Wallets (operators): an account's coupons
// with their status, and a coupon issued into it. Amounts are typed in yuan and sent in fen.
import { useState } from "preact/hooks";
import { api } from "./api.js";
import { couponKindField } from "./coupons.js";
import { Form, fen, num, optional } from "./forms.js";
import { html, useApp, useAsync, Badge, Drawer, Loading, ListTable, hundredthsText, localName, when } from "./ui.js";

const KINDS = ["new_customer", "win_back", "birthday", "promotion"];
const iso = (text) => {
  const d = new Date(text);
  return String(text).trim() !== "" && !Number.isNaN(d.getTime()) ? d.toISOString() : text;
};
const yuan = (n) => `¥${hundredthsText(n)}`;
const discountText = (c) => ((c.couponKind ?? c.kind) === "fixed" ? yuan(c.value) : `${c.value}%`);
const ids = (text) =>
  String(text ?? "")
    .split(/[\s,，]+/)
    .filter(Boolean);

export function Campaigns() {
  const { t, lang, isPlatform } = useApp();
  const list = useAsync(() => api("/v1/campaigns?limit=100"), []);
  const [open, setOpen] = useState(null);
  const [saved, setSaved] = useState(null);
  return html`<section data-screen="campaigns">
    <h2>${t("cg_campaigns")}</h2>
    <${Loading} state=${list}
      >${() =>
        html`<${ListTable}
          items=${list.data.items}
          heads=${[t("name"), t("cg_kind"), t("discount"), t("cg_fundedBy"), t("cg_spent"), t("validUntil"), t("status"), ""]}
          testid="campaigns-table"
          >${(c) =>
            html`<tr key=${c.id} data-campaign=${c.id}>
              <td>${localName(c.name, lang)}${c.code ? html` <span class="mono">${c.code}</span>` : ""}</td>
              <td>${t(`cg_kind_${c.kind}`)}</td>
              <td class="num">${discountText(c)}${c.minTotal ? ` / ${t("minTotal")} ${yuan(c.minTotal)}` : ""}</td>
              <td data-testid=${`funded-${c.id}`}>${t(`cg_funded_${c.fundedBy}`)}</td>
              <td class="num" data-testid=${`spent-${c.id}`}>${yuan(c.spent)} / ${yuan(c.budget)}</td>
              <td>${when(c.endsAt)}</td>
              <td><${Badge} value=${c.active ? "active" : "inactive"} /></td>
              <td><button class="link" onClick=${() => setOpen(c)} data-testid=${`edit-campaign-${c.id}`}>${t("edit")}</button></td>
            </tr>`}<//
        >`}<//
    >
    <h3>${t("cg_new")}</h3>
    <${Form}
      testid="campaign-create"
      reset
      submitLabel=${t("create")}
      fields=${[
        { key: "kind", label: t("cg_kind"), type: "select", options: KINDS.map((k) => [k, t(`cg_kind_${k}`)]) },
        { key: "nameZh", label: t("cg_nameZh"), path: "body.name.zh" },
        { key: "nameEn", label: t("cg_nameEn"), path: "body.name.en" },
        couponKindField(t, "couponKind"),
        { key: "value", label: t("couponValue"), attrs: { inputmode: "decimal" } },
        { key: "maxDiscount", label: `${t("maxDiscount")} (¥)`, attrs: { inputmode: "decimal" } },
        { key: "minTotal", label: `${t("minTotal")} (¥)`, attrs: { inputmode: "decimal" } },
        { key: "budget", label: t("cg_budget"), attrs: { inputmode: "decimal" } },
        { key: "validDays", label: t("cg_validDays"), attrs: { inputmode: "numeric" } },
        { key: "winBackDays", label: t("cg_winBackDays"), attrs: { inputmode: "numeric" } },
        { key: "code", label: t("cg_code") },
        { key: "serviceIds", label: t("cg_serviceIds") },
        ...(isPlatform
          ? [
              { key: "merchantId", label: t("cg_merchantId") },
              {
                key: "fundedBy",
                label: t("cg_fundedBy"),
                type: "select",
                options: [
                  ["", t("cg_funded_default")],
                  ["merchant", t("cg_funded_merchant")],
                  ["platform", t("cg_funded_platform")],
                ],
              },
            ]
          : []),
        { key: "startsAt", label: t("startsAt"), type: "datetime-local" },
        { key: "endsAt", label: t("endsAt"), type: "datetime-local" },
      ]}
      initial=${{ kind: "promotion", couponKind: "fixed" }}
      submit=${(v) =>
        api("/v1/campaigns", {
          method: "POST",
          body: {
            kind: v.kind,
            merchantId: optional(v.merchantId, (x) => x.trim()),
            fundedBy: v.fundedBy || undefined,
            name: { zh: v.nameZh, en: v.nameEn },
            couponKind: v.couponKind,
            value: v.couponKind === "fixed" ? fen(v.value) : num(v.value),
            maxDiscount: optional(v.maxDiscount, fen),
            minTotal: optional(v.minTotal, fen),
            budget: fen(v.budget),
            validDays: optional(v.validDays, num),
            winBackDays: optional(v.winBackDays, num),
            code: optional(v.code, (x) => x.trim()),
            serviceIds: ids(v.serviceIds).length ? ids(v.serviceIds) : undefined,
            startsAt: iso(v.startsAt),
            endsAt: iso(v.endsAt),
          },
        })}
      onDone=${list.reload}
    />
    ${
      isPlatform &&
      html`<h3>${t("cg_limits")}</h3>
        <${Form}
          testid="campaign-limits"
          submitLabel=${t("save")}
          fields=${[
            { key: "merchantId", label: t("cg_merchantId"), path: "params.id" },
            { key: "maxBudget", label: t("cg_maxBudget"), attrs: { inputmode: "decimal" } },
            { key: "maxValue", label: t("cg_maxValue"), attrs: { inputmode: "decimal" } },
            { key: "maxPercent", label: t("cg_maxPercent"), attrs: { inputmode: "numeric" } },
          ]}
          submit=${(v) =>
            api(`/v1/admin/merchants/${encodeURIComponent(v.merchantId.trim())}/campaign-limits`, {
              method: "PUT",
              body: { maxBudget: fen(v.maxBudget), maxValue: fen(v.maxValue), maxPercent: num(v.maxPercent) },
            })}
          onDone=${(r) => setSaved(r)}
        />
        ${saved && html`<p class="muted" data-testid="limits-saved">${t("cg_limitsSaved")}: ${saved.merchantId}</p>`}`
    }
    ${
      open &&
      html`<${Drawer} title=${localName(open.name, lang)} onClose=${() => setOpen(null)}>
        <${Form}
          testid="campaign-edit"
          fields=${[
            { key: "budget", label: t("cg_budget"), attrs: { inputmode: "decimal" } },
            { key: "active", label: t("couponActive"), type: "checkbox" },
          ]}
          initial=${{ budget: hundredthsText(open.budget), active: open.active }}
          submit=${(v) => api(`/v1/campaigns/${open.id}`, { method: "PATCH", body: { budget: fen(v.budget), active: v.active } })}
          onDone=${() => {
            setOpen(null);
            list.reload();
          }}
        />
      <//>`
    }
  </section>`;
}

function WalletOf({ accountId }) {
  const { t } = useApp();
  const list = useAsync(() => api(`/v1/admin/accounts/${encodeURIComponent(accountId)}/coupons?limit=100`), [accountId]);
  return html`<div>
    <${Loading} state=${list}
      >${() =>
        html`<${ListTable}
          items=${list.data.items}
          heads=${[t("recordCode"), t("name"), t("discount"), t("wallet_source"), t("validUntil"), t("status")]}
          testid="wallet-table"
          >${(c) =>
            html`<tr key=${c.id} data-wallet-coupon=${c.id}>
              <td class="mono">${c.code}</td>
              <td>${c.name}</td>
              <td class="num">${discountText(c)}</td>
              <td>${t(`wallet_source_${c.source}`)}</td>
              <td>${when(c.endsAt)}</td>
              <td><${Badge} value=${c.status} /></td>
            </tr>`}<//
        >`}<//
    >
    <h3>${t("wallet_issue")}</h3>
    <${Form}
      testid="wallet-issue"
      reset
      submitLabel=${t("wallet_issue")}
      fields=${[
        { key: "name", label: t("name") },
        couponKindField(t),
        { key: "value", label: t("couponValue"), attrs: { inputmode: "decimal" } },
        { key: "minTotal", label: `${t("minTotal")} (¥)`, attrs: { inputmode: "decimal" } },
        { key: "validDays", label: t("cg_validDays"), attrs: { inputmode: "numeric" } },
      ]}
      initial=${{ kind: "fixed", validDays: "30" }}
      submit=${(v) =>
        api(`/v1/admin/accounts/${encodeURIComponent(accountId)}/coupons`, {
          method: "POST",
          body: {
            name: v.name,
            kind: v.kind,
            value: v.kind === "fixed" ? fen(v.value) : num(v.value),
            minTotal: optional(v.minTotal, fen),
            validDays: num(v.validDays),
          },
        })}
      onDone=${list.reload}
    />
  </div>`;
}

export function CouponWallet() {
  const { t } = useApp();
  const [accountId, setAccountId] = useState("");
  const [shown, setShown] = useState(null);
  return html`<section data-screen="wallet">
    <h2>${t("setup_wallet")}</h2>
    <form
      class="form-grid"
      data-testid="wallet-find"
      onSubmit=${(e) => {
        e.preventDefault();
        setShown(accountId.trim() || null);
      }}
    >
      <label
        >${t("wallet_account")}<input name="accountId" value=${accountId} onInput=${(e) => setAccountId(e.currentTarget.value)}
      /></label>
      <div><button class="primary" type="submit" data-testid="wallet-find-submit">${t("wallet_show")}</button></div>
    </form>
    ${shown && html`<${WalletOf} key=${shown} accountId=${shown} />`}
  </section>`;
}
