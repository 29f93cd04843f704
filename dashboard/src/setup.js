// Set-up: what an operator needs to run a deployment without the API, one tab per kind of record
// (each screen in its own module, loaded when its tab is first shown).
import { html, useApp, useAsync, Loading, Tabs } from "./ui.js";

const SCREENS = {
  cities: [() => import("./cities.js"), "Cities"],
  merchants: [() => import("./merchants.js"), "Merchants"],
  skills: [() => import("./skills.js"), "SkillsAndCategories"],
  technicians: [() => import("./technician-editor.js"), "TechnicianEditor"],
  coupons: [() => import("./coupons.js"), "Coupons"],
  campaigns: [() => import("./campaigns.js"), "Campaigns"],
  wallet: [() => import("./campaigns.js"), "CouponWallet"],
  packages: [() => import("./packages.js"), "Packages"],
  membership: [() => import("./packages.js"), "Membership"],
  training: [() => import("./training.js"), "Training"],
};
const PLATFORM_ONLY = new Set(["cities", "merchants", "skills", "coupons", "wallet", "membership"]);

export function Setup({ tab }) {
  const { t, isPlatform } = useApp();
  const keys = Object.keys(SCREENS).filter((k) => isPlatform || !PLATFORM_ONLY.has(k));
  const current = keys.includes(tab) ? tab : keys[0];
  const mod = useAsync(() => SCREENS[current][0](), [current]);
  return html`<section>
    <h1>${t("setup")}</h1>
    <${Tabs} tabs=${keys.map((k) => [k, t(`setup_${k}`)])} value=${current} onChange=${(k) => (location.hash = `#/setup/${k}`)} />
    <${Loading} state=${mod}
      >${() => {
        const Screen = mod.data?.[SCREENS[current][1]];
        return Screen ? html`<${Screen} key=${current} />` : null;
      }}<//
    >
  </section>`;
}
