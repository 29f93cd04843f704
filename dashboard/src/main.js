// The operator and merchant dashboard: OTP sign-in, role-aware navigation, hash routes.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, getSession, onSession, requestCode, setApiLanguage, signIn, signOut } from "./api.js";
import { initialLang, translator } from "./i18n.js";
import { html, AppContext, useAsync, Action, ErrorNote, Loading, when } from "./ui.js";
import { LiveMap } from "./map.js";
import { OrderBoard } from "./orders.js";

/** A screen whose code loads when it is first shown (a chunk of its own), so the first page stays small. */
function lazy(load, name) {
  let loading;
  return function Lazy(props) {
    const mod = useAsync(
      () =>
        (loading ??= load().catch((err) => {
          loading = undefined; // a failed load is tried again next time
          throw err;
        })),
      [],
    );
    const Screen = mod.data?.[name];
    return html`<${Loading} state=${mod}>${() => html`<${Screen} ...${props} />`}<//>`;
  };
}
const Technicians = lazy(() => import("./technicians.js"), "Technicians");
const Catalog = lazy(() => import("./catalog.js"), "Catalog");
const Reports = lazy(() => import("./reports.js"), "Reports");
const Growth = lazy(() => import("./growth.js"), "Growth");
const DispatchSettings = lazy(() => import("./settings.js"), "DispatchSettings");
const Money = lazy(() => import("./money.js"), "Money");
const DeadLetters = lazy(() => import("./notifications.js"), "DeadLetters");
const Accounts = lazy(() => import("./accounts.js"), "Accounts");
const Setup = lazy(() => import("./setup.js"), "Setup");
const Operate = lazy(() => import("./operate.js"), "Operate");
const Privacy = lazy(() => import("./privacy.js"), "Privacy");
const Webhooks = lazy(() => import("./webhooks.js"), "Webhooks");
const Operations = lazy(() => import("./operations.js"), "Operations");
const Inbox = lazy(() => import("./inbox.js"), "Inbox");
const Tickets = lazy(() => import("./tickets.js"), "Tickets");
const Credit = lazy(() => import("./credit.js"), "Credit");
const Lifecycle = lazy(() => import("./lifecycle.js"), "Lifecycle");
const Series = lazy(() => import("./series.js"), "Series");
const Board = lazy(() => import("./board.js"), "Board");
const RoutePlans = lazy(() => import("./routes.js"), "RoutePlans");

const PLATFORM = ["operator", "admin"];

function useHashRoute() {
  const read = () => (location.hash.replace(/^#\/?/, "") || "map").split("/");
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return route;
}

function SignIn({ t, lang, setLang }) {
  const [phone, setPhone] = useState("+86");
  const [code, setCode] = useState("");
  const [sent, setSent] = useState(null);
  const [error, setError] = useState(null);
  const send = async (e) => {
    e.preventDefault();
    setError(null);
    try {
      const r = await requestCode(phone.trim());
      setSent(r);
      if (r.devCode) setCode(r.devCode);
    } catch (err) {
      setError(err);
    }
  };
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    try {
      await signIn(phone.trim(), code.trim());
    } catch (err) {
      setError(err);
    }
  };
  return html`<main class="signin">
    <form class="card" onSubmit=${sent ? submit : send}>
      <h1>${t("brand")}</h1>
      <label
        >${t("phone")}<input
          name="phone"
          type="tel"
          autocomplete="tel"
          value=${phone}
          onInput=${(e) => setPhone(e.currentTarget.value)}
          required
      /></label>
      ${
        sent &&
        html`<label
            >${t("code")}<input
              name="code"
              inputmode="numeric"
              autocomplete="one-time-code"
              value=${code}
              onInput=${(e) => setCode(e.currentTarget.value)}
              required
          /></label>
          ${sent.devCode && html`<p class="muted small">${t("devCode")}: <b data-testid="dev-code">${sent.devCode}</b></p>`}`
      }
      <button class="primary" type="submit" data-testid=${sent ? "submit-code" : "send-code"}>${sent ? t("signIn") : t("sendCode")}</button>
      <${ErrorNote} error=${error} />
      <p class="lang-switch">
        <button type="button" class="link" onClick=${() => setLang(lang === "zh" ? "en" : "zh")}>
          ${lang === "zh" ? "English" : "中文"}
        </button>
      </p>
    </form>
  </main>`;
}

function AuditLog() {
  const state = useAsync(() => api("/v1/admin/audit?limit=100"), []);
  return html`<section>
    <h1>Audit</h1>
    <${Loading} state=${state}
      >${() =>
        html`<div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>#</th>
                <th>at</th>
                <th>actor</th>
                <th>action</th>
                <th>target</th>
                <th>✓</th>
              </tr>
            </thead>
            <tbody>
              ${state.data.items.map(
                (e) =>
                  html`<tr>
                    <td>${e.seq}</td>
                    <td>${when(e.at)}</td>
                    <td class="mono small">${e.actorId}</td>
                    <td>${e.action}</td>
                    <td class="mono small">${e.targetType}:${e.targetId}</td>
                    <td>${e.verified ? "✓" : "✗"}</td>
                  </tr>`,
              )}
            </tbody>
          </table>
        </div>`}<//
    >
  </section>`;
}

function Shell({ session, t, lang, setLang }) {
  const route = useHashRoute();
  const roles = session.roles ?? [];
  const isPlatform = roles.some((r) => PLATFORM.includes(r));
  const isStaff = isPlatform || roles.includes("merchant_admin");
  const boot = useAsync(
    () =>
      Promise.all([
        api("/v1/cities"),
        api("/v1/admin/services?limit=100"),
        api("/v1/admin/merchants?limit=100"),
        session.me ? Promise.resolve(session.me) : api("/v1/me"),
      ]),
    [session.accountId],
  );
  const [cityId, setCityId] = useState(localStorage.getItem("doorstep.city"));
  if (!isStaff) {
    return html`<main class="signin">
      <div class="card">
        <p>${lang === "zh" ? "此账号不是运营或商家管理员。" : "This account is not an operator or merchant admin."}</p>
        <button onClick=${signOut}>${t("signOut")}</button>
      </div>
    </main>`;
  }
  const nav = [
    ["map", t("map")],
    ["orders", t("orders")],
    ["board", t("board")],
    ["routes", t("rp_nav")],
    ["exceptions", t("exceptions")],
    ["technicians", t("technicians")],
    ["catalog", t("catalog")],
    ["reports", t("reports")],
    ["growth", t("growth")],
    ["settings", t("settings")],
    ["setup", t("setup")],
    ["money", t("money")],
    ["tickets", t("tickets")],
    ["series", t("sr_nav")],
    ["webhooks", t("webhooks")],
    ...(isPlatform ? [["lifecycle", t("lifecycle")]] : []),
    ...(isPlatform ? [["inbox", t("inbox")]] : []),
    ...(isPlatform ? [["notifications", t("deadLetters")]] : []),
    ...(isPlatform ? [["operations", t("operations")]] : []),
    ...(isPlatform ? [["accounts", t("accounts")]] : []),
    ...(isPlatform ? [["operate", t("operate")]] : []),
    ...(isPlatform ? [["privacy", t("privacy")]] : []),
    ...(isPlatform ? [["credit", t("credit")]] : []),
    ...(roles.includes("admin") ? [["audit", t("audit")]] : []),
  ];
  return html`<${Loading} state=${boot}
    >${() => {
      const [cities, services, merchants, me] = boot.data;
      const cityList = cities.items ?? cities;
      const city = cityList.find((c) => c.id === cityId) ?? cityList[0];
      const ctx = {
        t,
        lang,
        isPlatform,
        me,
        city,
        cityId: city?.id,
        cities: cityList,
        services: services.items,
        merchants: merchants.items,
      };
      const [screen, arg] = route;
      const body = !city
        ? html`<p class="muted">${t("empty")}</p>`
        : screen === "orders"
          ? html`<${OrderBoard} key="orders" openId=${arg} />`
          : screen === "board"
            ? html`<${Board} key=${`board-${city.id}`} initialCell=${arg} />`
            : screen === "routes"
              ? html`<${RoutePlans} key=${`routes-${city.id}`} />`
              : screen === "exceptions"
                ? html`<${OrderBoard} key="exceptions" queue />`
                : screen === "technicians"
                  ? html`<${Technicians} />`
                  : screen === "catalog"
                    ? html`<${Catalog} />`
                    : screen === "reports"
                      ? html`<${Reports} />`
                      : screen === "growth"
                        ? html`<${Growth} />`
                        : screen === "settings"
                          ? html`<${DispatchSettings} />`
                          : screen === "setup"
                            ? html`<${Setup} tab=${arg} />`
                            : screen === "money"
                              ? html`<${Money} tab=${arg} />`
                              : screen === "lifecycle" && isPlatform
                                ? html`<${Lifecycle} />`
                                : screen === "inbox" && isPlatform
                                  ? html`<${Inbox} />`
                                  : screen === "tickets"
                                    ? html`<${Tickets} openId=${arg} />`
                                    : screen === "series"
                                      ? html`<${Series} />`
                                      : screen === "notifications" && isPlatform
                                        ? html`<${DeadLetters} />`
                                        : screen === "accounts" && isPlatform
                                          ? html`<${Accounts} />`
                                          : screen === "operations" && isPlatform
                                            ? html`<${Operations} />`
                                            : screen === "operate" && isPlatform
                                              ? html`<${Operate} />`
                                              : screen === "privacy" && isPlatform
                                                ? html`<${Privacy} />`
                                                : screen === "credit" && isPlatform
                                                  ? html`<${Credit} />`
                                                  : screen === "webhooks"
                                                    ? html`<${Webhooks} />`
                                                    : screen === "audit"
                                                      ? html`<${AuditLog} />`
                                                      : html`<${LiveMap} />`;
      return html`<${AppContext.Provider} value=${ctx}>
        <header class="top">
          <b class="brand">${t("brand")}</b>
          <nav>
            ${nav.map(([k, label]) => html`<a href=${`#/${k}`} class=${(screen || "map") === k ? "on" : ""} data-nav=${k}>${label}</a>`)}
          </nav>
          <span class="spacer"></span>
          ${
            cityList.length > 1 &&
            html`<select
              value=${city?.id}
              onChange=${(e) => {
                localStorage.setItem("doorstep.city", e.currentTarget.value);
                setCityId(e.currentTarget.value);
              }}
            >
              ${cityList.map((c) => html`<option value=${c.id}>${c.name}</option>`)}
            </select>`
          }
          <span class="who" data-testid="who">${me.merchant ? me.merchant.name : (me.name ?? me.phone)}</span>
          <button class="ghost" onClick=${() => setLang(lang === "zh" ? "en" : "zh")} data-testid="lang">
            ${lang === "zh" ? "EN" : "中"}
          </button>
          <${Action} label=${t("signOut")} kind="ghost" run=${signOut} />
        </header>
        <main class="content">${body}</main>
      <//>`;
    }}<//
  >`;
}

function App() {
  const [session, setSession] = useState(getSession());
  const [lang, setLangState] = useState(initialLang());
  useEffect(() => onSession(setSession), []);
  useEffect(() => {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  }, [lang]);
  const setLang = (l) => {
    localStorage.setItem("doorstep.lang", l);
    setLangState(l);
  };
  setApiLanguage(lang);
  const t = translator(lang);
  // The shell needs a context even before sign-in (shared components read t).
  return html`<${AppContext.Provider} value=${{ t, lang }}
    >${session ? html`<${Shell} key=${session.accountId} session=${session} t=${t} lang=${lang} setLang=${setLang} />` : html`<${SignIn} t=${t} lang=${lang} setLang=${setLang} />`}<//
  >`;
}

const root = document.getElementById("app");
root.textContent = "";
render(html`<${App} />`, root);
