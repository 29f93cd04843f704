// Coupons the platform pays for: create one (fixed yuan off or a percentage, dates, limits) and
// change its name, end, limits or switch it off. Amounts are typed in yuan and sent in fen.
import { useState } from "preact/hooks";
import { api } from "./api.js";
import { Form, fen, num, optional } from "./forms.js";
import { html, useApp, useAsync, Badge, Drawer, Loading, ListTable, hundredthsText, when } from "./ui.js";

/** The coupon kind chooser (fixed amount or percent) of every coupon form; `key` names the form's field. */
export const couponKindField = (t, key = "kind") => ({
  key,
  label: t("couponKind"),
  type: "select",
  options: [
    ["fixed", t("couponFixed")],
    ["percent", t("couponPercent")],
  ],
});

/** A datetime-local value (the browser's time) as ISO 8601 with its offset, or the text as typed. */
const iso = (text) => {
  const d = new Date(text);
  return String(text).trim() !== "" && !Number.isNaN(d.getTime()) ? d.toISOString() : text;
};
/** ISO 8601 → the datetime-local text of the same instant in the browser's time. */
const local = (s) => {
  const d = new Date(s);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

export function Coupons() {
  const { t } = useApp();
  const list = useAsync(() => api("/v1/admin/coupons?limit=100"), []);
  const [open, setOpen] = useState(null);
  const value = (c) => (c.kind === "fixed" ? `¥${hundredthsText(c.value)}` : `${c.value}%`);
  return html`<section data-screen="coupons">
    <h2>${t("coupons")}</h2>
    <${Loading} state=${list}
      >${() =>
        html`<${ListTable}
          items=${list.data.items}
          heads=${[t("recordCode"), t("name"), t("discount"), t("validUntil"), t("redeemed"), t("status"), ""]}
          testid="coupons-table"
          >${(c) =>
            html`<tr key=${c.id} data-coupon=${c.id}>
              <td class="mono">${c.code}</td>
              <td>${c.name}</td>
              <td class="num">${value(c)}</td>
              <td>${when(c.endsAt)}</td>
              <td class="num">${c.redeemed}${c.totalLimit ? ` / ${c.totalLimit}` : ""}</td>
              <td><${Badge} value=${c.active ? "active" : "inactive"} /></td>
              <td><button class="link" onClick=${() => setOpen(c)} data-testid=${`edit-coupon-${c.code}`}>${t("edit")}</button></td>
            </tr>`}<//
        >`}<//
    >
    <h3>${t("newCoupon")}</h3>
    <${Form}
      testid="coupon-create"
      reset
      submitLabel=${t("create")}
      fields=${[
        { key: "code", label: t("recordCode"), attrs: { placeholder: "WELCOME10" } },
        { key: "name", label: t("name") },
        couponKindField(t),
        { key: "value", label: t("couponValue"), attrs: { inputmode: "decimal" } },
        { key: "maxDiscount", label: `${t("maxDiscount")} (¥)`, attrs: { inputmode: "decimal" } },
        { key: "minTotal", label: `${t("minTotal")} (¥)`, attrs: { inputmode: "decimal" } },
        { key: "startsAt", label: t("startsAt"), type: "datetime-local" },
        { key: "endsAt", label: t("endsAt"), type: "datetime-local" },
        { key: "totalLimit", label: t("totalLimit"), attrs: { inputmode: "numeric" } },
        { key: "perCustomerLimit", label: t("perCustomerLimit"), attrs: { inputmode: "numeric" } },
      ]}
      initial=${{ kind: "fixed" }}
      submit=${(v) =>
        api("/v1/admin/coupons", {
          method: "POST",
          body: {
            code: v.code.trim(),
            name: v.name,
            kind: v.kind,
            value: v.kind === "fixed" ? fen(v.value) : num(v.value),
            maxDiscount: optional(v.maxDiscount, fen),
            minTotal: optional(v.minTotal, fen),
            startsAt: iso(v.startsAt),
            endsAt: iso(v.endsAt),
            totalLimit: optional(v.totalLimit, num),
            perCustomerLimit: optional(v.perCustomerLimit, num),
          },
        })}
      onDone=${list.reload}
    />
    ${
      open &&
      html`<${Drawer} title=${open.code} onClose=${() => setOpen(null)}>
        <${Form}
          testid="coupon-edit"
          fields=${[
            { key: "name", label: t("name") },
            { key: "endsAt", label: t("endsAt"), type: "datetime-local" },
            { key: "totalLimit", label: t("totalLimit"), attrs: { inputmode: "numeric" } },
            { key: "perCustomerLimit", label: t("perCustomerLimit"), attrs: { inputmode: "numeric" } },
            { key: "active", label: t("couponActive"), type: "checkbox" },
          ]}
          initial=${{
            name: open.name,
            endsAt: local(open.endsAt),
            totalLimit: open.totalLimit === null ? "" : String(open.totalLimit),
            perCustomerLimit: String(open.perCustomerLimit),
            active: open.active,
          }}
          submit=${(v) =>
            api(`/v1/admin/coupons/${open.id}`, {
              method: "PATCH",
              body: {
                name: v.name,
                endsAt: iso(v.endsAt),
                totalLimit: String(v.totalLimit).trim() === "" ? null : num(v.totalLimit),
                perCustomerLimit: num(v.perCustomerLimit),
                active: v.active,
              },
            })}
          onDone=${() => {
            setOpen(null);
            list.reload();
          }}
        />
      <//>`
    }
  </section>`;
}
