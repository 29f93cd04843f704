// Packages (次卡 / 套餐) and membership settings. Packages: plans for a service (N visits, or an
// amount of credit, at a price, valid for some days), switched on and off; customers' packages with
// their balances, where the platform records a payment taken at the counter and refunds the unused
// rest. Membership (platform only): points earn rate, value, cap and expiry, the levels with their
// benefits, and merchants' own earn rates. Amounts are typed in yuan and sent in fen.
import { useState } from "preact/hooks";
import { api } from "./api.js";
import { Form, fen, num, optional } from "./forms.js";
import { html, useApp, useAsync, Action, Badge, ErrorNote, Loading, ListTable, hundredthsText, localName, money, when } from "./ui.js";

export function Packages() {
  const { t, lang, isPlatform } = useApp();
  const plans = useAsync(() => api("/v1/admin/package-plans"), []);
  const services = useAsync(() => api("/v1/admin/services?limit=100"), []);
  const packages = useAsync(() => api("/v1/admin/packages"), []);
  const serviceName = (id) => {
    const s = services.data?.items.find((x) => x.id === id);
    return s ? localName(s.name, lang) : id;
  };
  const units = (kind, n) => (kind === "visits" ? t("pkg_visitsN").replace("{n}", n) : `¥${hundredthsText(n)}`);
  return html`<section data-screen="packages">
    <h2>${t("pkg_plans")}</h2>
    <${Loading} state=${plans}
      >${() =>
        html`<${ListTable}
          items=${plans.data.items}
          heads=${[t("name"), t("pkg_service"), t("pkg_holds"), t("pkg_price"), t("pkg_validDays"), t("pkg_refundPercent"), t("status"), ""]}
          testid="package-plans"
          >${(p) =>
            html`<tr key=${p.id} data-plan=${p.id}>
              <td>${localName(p.name, lang)}</td>
              <td>${serviceName(p.serviceId)}</td>
              <td class="num">${units(p.kind, p.units)}</td>
              <td class="num">${money(p.price)}</td>
              <td class="num">${p.validDays}</td>
              <td class="num">${p.refundPercent}%</td>
              <td><${Badge} value=${p.active ? "active" : "inactive"} /></td>
              <td>
                <${Action}
                  label=${p.active ? t("pkg_offSale") : t("pkg_onSale")}
                  testid=${`plan-toggle-${p.id}`}
                  run=${async () => {
                    await api(`/v1/admin/package-plans/${p.id}`, { method: "PATCH", body: { active: !p.active } });
                    plans.reload();
                  }}
                />
              </td>
            </tr>`}<//
        >`}<//
    >
    <h3>${t("pkg_newPlan")}</h3>
    <${Loading} state=${services}
      >${() =>
        html`<${Form}
          testid="package-plan-create"
          reset
          submitLabel=${t("create")}
          fields=${[
            {
              key: "serviceId",
              label: t("pkg_service"),
              type: "select",
              options: services.data.items.map((s) => [s.id, localName(s.name, lang)]),
            },
            {
              key: "kind",
              label: t("pkg_kind"),
              type: "select",
              options: [
                ["visits", t("pkg_kindVisits")],
                ["credit", t("pkg_kindCredit")],
              ],
            },
            { key: "units", label: t("pkg_units"), attrs: { inputmode: "decimal" } },
            { key: "price", label: `${t("pkg_price")} (¥)`, attrs: { inputmode: "decimal" } },
            { key: "validDays", label: t("pkg_validDays"), attrs: { inputmode: "numeric" } },
            { key: "refundPercent", label: t("pkg_refundPercent"), attrs: { inputmode: "numeric" } },
            { key: "nameZh", label: t("pkg_nameZh") },
            { key: "nameEn", label: t("pkg_nameEn") },
          ]}
          initial=${{ kind: "visits", serviceId: services.data.items[0]?.id ?? "", validDays: "365", refundPercent: "100" }}
          submit=${(v) =>
            api("/v1/admin/package-plans", {
              method: "POST",
              body: {
                serviceId: v.serviceId,
                kind: v.kind,
                // credit is typed in yuan like a price; visits are a count
                units: v.kind === "credit" ? fen(v.units) : num(v.units),
                price: fen(v.price),
                validDays: num(v.validDays),
                refundPercent: optional(v.refundPercent, num),
                nameZh: v.nameZh,
                nameEn: v.nameEn,
              },
            })}
          onDone=${plans.reload}
        />`}<//
    >
    <h2>${t("pkg_customers")}</h2>
    <${Loading} state=${packages}
      >${() =>
        html`<${ListTable}
          items=${packages.data.items}
          heads=${[t("pkg_customer"), t("pkg_service"), t("pkg_left"), t("pkg_deferred"), t("pkg_validUntil"), t("status"), ""]}
          testid="customer-packages"
          >${(p) =>
            html`<tr key=${p.id} data-package=${p.id} data-status=${p.status}>
              <td class="mono">${p.customerId}</td>
              <td>${serviceName(p.serviceId)}</td>
              <td class="num" data-testid="package-left">${units(p.kind, p.unitsLeft)} / ${units(p.kind, p.unitsTotal)}</td>
              <td class="num">${money(p.deferredLeft)}</td>
              <td>${p.validUntil ? when(p.validUntil) : "—"}</td>
              <td>${t(`pkg_status_${p.status}`)}</td>
              <td>
                ${
                  isPlatform && p.status === "pending_payment"
                    ? html`<${Action}
                        label=${t("pkg_recordPayment")}
                        testid=${`package-pay-${p.id}`}
                        run=${async () => {
                          await api(`/v1/admin/packages/${p.id}/payment`, {
                            method: "POST",
                            body: { provider: "cash", reference: t("pkg_counter") },
                          });
                          packages.reload();
                        }}
                      />`
                    : null
                }
                ${
                  isPlatform && p.status === "active"
                    ? html`<${Action}
                        label=${t("pkg_refund")}
                        kind="danger"
                        testid=${`package-refund-${p.id}`}
                        run=${async () => {
                          await api(`/v1/admin/packages/${p.id}/refund`, { method: "POST", body: { reason: t("pkg_refundReason") } });
                          packages.reload();
                        }}
                      />`
                    : null
                }
              </td>
            </tr>`}<//
        >`}<//
    >
  </section>`;
}

const yuan = (n) => hundredthsText(n);

export function Membership() {
  const { t } = useApp();
  const settings = useAsync(() => api("/v1/admin/membership/settings"), []);
  // kept here: a save reloads the settings, which makes the form anew with what the server holds
  const [saved, setSaved] = useState(false);
  return html`<section data-screen="membership">
    <h2>${t("mbr_title")}</h2>
    <${Loading} state=${settings}
      >${() =>
        html`<${SettingsForm}
          key=${JSON.stringify(settings.data)}
          s=${settings.data}
          onSaving=${() => setSaved(false)}
          onDone=${() => {
            setSaved(true);
            settings.reload();
          }}
        />`}<//
    >
    ${saved ? html`<p class="ok" data-testid="membership-saved">${t("mbr_saved")}</p>` : null}
    <h3>${t("mbr_merchantRates")}</h3>
    <${Loading} state=${settings}
      >${() =>
        html`<${ListTable} items=${settings.data.merchantRates} heads=${[t("mbr_merchant"), t("mbr_earnPerYuan")]} testid="merchant-rates"
          >${(r) =>
            html`<tr key=${r.merchantId}>
              <td class="mono">${r.merchantId}</td>
              <td class="num">${r.earnPerYuan}</td>
            </tr>`}<//
        >`}<//
    >
    <${Form}
      testid="merchant-rate"
      reset
      submitLabel=${t("save")}
      fields=${[
        { key: "merchantId", label: t("mbr_merchant"), path: "params.id" },
        { key: "earnPerYuan", label: `${t("mbr_earnPerYuan")} (${t("mbr_emptyGlobal")})`, attrs: { inputmode: "numeric" } },
      ]}
      submit=${(v) =>
        api(`/v1/admin/membership/merchant-rates/${encodeURIComponent(v.merchantId.trim() || "-")}`, {
          method: "PUT",
          body: { earnPerYuan: String(v.earnPerYuan).trim() === "" ? null : num(v.earnPerYuan) },
        })}
      onDone=${settings.reload}
    />
    <p class="hint">${t("mbr_hint")}</p>
  </section>`;
}

/** The settings and the levels, saved together with PUT /v1/admin/membership/settings. */
function SettingsForm({ s, onSaving, onDone }) {
  const { t } = useApp();
  const [v, setV] = useState({
    earnPerYuan: String(s.earnPerYuan),
    pointValue: String(s.pointValue),
    maxSpendPercent: String(s.maxSpendPercent),
    expiryDays: String(s.expiryDays),
  });
  const [levels, setLevels] = useState(
    s.levels.map((l) => ({ ...l, minSpend: yuan(l.minSpend), minPoints: String(l.minPoints), discountPercent: String(l.discountPercent) })),
  );
  const [error, setError] = useState(null);
  const field = (key) =>
    html`<label
      >${t(`mbr_${key}`)}<input
        name=${key}
        value=${v[key]}
        inputmode="numeric"
        onInput=${(e) => setV({ ...v, [key]: e.currentTarget.value })}
    /></label>`;
  const setLevel = (i, key, value) => setLevels(levels.map((l, j) => (j === i ? { ...l, [key]: value } : l)));
  const save = async (e) => {
    e.preventDefault();
    setError(null);
    onSaving?.();
    try {
      await api("/v1/admin/membership/settings", {
        method: "PUT",
        body: {
          earnPerYuan: num(v.earnPerYuan),
          pointValue: num(v.pointValue),
          maxSpendPercent: num(v.maxSpendPercent),
          expiryDays: num(v.expiryDays),
          levels: levels.map((l) => ({
            ...l,
            minSpend: fen(l.minSpend),
            minPoints: num(l.minPoints),
            discountPercent: num(l.discountPercent),
          })),
        },
      });
      onDone?.();
    } catch (err) {
      setError(err);
    }
  };
  return html`<form class="form" data-testid="membership-settings" onSubmit=${save}>
    ${field("earnPerYuan")} ${field("pointValue")} ${field("maxSpendPercent")} ${field("expiryDays")}
    <table class="list" data-testid="membership-levels">
      <thead>
        <tr>
          <th>${t("mbr_level")}</th>
          <th>${t("mbr_minSpend")}</th>
          <th>${t("mbr_minPoints")}</th>
          <th>${t("mbr_discount")}</th>
          <th>${t("mbr_freeRush")}</th>
          <th>${t("mbr_priority")}</th>
        </tr>
      </thead>
      <tbody>
        ${levels.map(
          (l, i) =>
            html`<tr key=${l.code} data-level=${l.code}>
              <td>${t.lang === "zh" ? l.nameZh : l.nameEn}</td>
              <td><input name="minSpend" value=${l.minSpend} onInput=${(e) => setLevel(i, "minSpend", e.currentTarget.value)} /></td>
              <td><input name="minPoints" value=${l.minPoints} onInput=${(e) => setLevel(i, "minPoints", e.currentTarget.value)} /></td>
              <td>
                <input
                  name="discountPercent"
                  value=${l.discountPercent}
                  onInput=${(e) => setLevel(i, "discountPercent", e.currentTarget.value)}
                />
              </td>
              <td>
                <input
                  type="checkbox"
                  name="freeRush"
                  checked=${l.freeRush}
                  onChange=${(e) => setLevel(i, "freeRush", e.currentTarget.checked)}
                />
              </td>
              <td>
                <input
                  type="checkbox"
                  name="priorityDispatch"
                  checked=${l.priorityDispatch}
                  onChange=${(e) => setLevel(i, "priorityDispatch", e.currentTarget.checked)}
                />
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
    <button type="submit" data-testid="membership-save">${t("save")}</button>
    <${ErrorNote} error=${error} />
  </form>`;
}
