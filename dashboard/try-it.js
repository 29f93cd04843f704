// @ts-check
// The try-it forms of the API reference (GET /docs): the Worker renders a form per operation (its
// path, query and header parameters, a JSON body); this script sends it through the SDK with the
// token and language chosen at the top of the page and shows the answer. Built by
// scripts/build-dashboard.mjs into public/docs-assets/try-it.js; nothing is fetched from elsewhere.
import { createDoorstepClient, idempotencyKey } from "../sdk/index.ts";

const TOKEN_KEY = "doorstep.docs.token";
const tokenInput = /** @type {HTMLInputElement} */ (document.getElementById("try-token"));
const languageSelect = /** @type {HTMLSelectElement} */ (document.getElementById("try-language"));
tokenInput.value = sessionStorage.getItem(TOKEN_KEY) ?? "";
tokenInput.addEventListener("change", () => sessionStorage.setItem(TOKEN_KEY, tokenInput.value.trim()));

const api = createDoorstepClient({
  baseUrl: "",
  token: () => tokenInput.value.trim() || undefined,
  language: () => (languageSelect.value === "en" ? "en" : "zh-CN"),
});

// Writes that take an Idempotency-Key get a fresh one; sending the form again reuses it (a replay).
for (const input of document.querySelectorAll("input[data-idempotency-key]")) {
  /** @type {HTMLInputElement} */ (input).value = idempotencyKey();
}

/** @param {string} text */
function pretty(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

document.addEventListener("submit", async (event) => {
  const form = event.target instanceof HTMLFormElement && event.target.matches("form.try-it") ? event.target : null;
  if (!form) return;
  event.preventDefault();
  const out = /** @type {HTMLOutputElement} */ (form.querySelector("output"));
  /** @type {Record<"path" | "query" | "header", Record<string, string>>} */
  const params = { path: {}, query: {}, header: {} };
  let body;
  for (const [name, value] of new FormData(form)) {
    if (typeof value !== "string" || value === "") continue;
    if (name === "body") {
      try {
        body = JSON.parse(value);
      } catch (err) {
        out.textContent = `The body is not JSON: ${err instanceof Error ? err.message : err}`;
        return;
      }
      continue;
    }
    const [where, key] = name.split(":");
    if ((where === "path" || where === "query" || where === "header") && key) params[where][key] = value;
  }
  const missing = [...form.querySelectorAll("input[data-in=path]")].filter((i) => !(/** @type {HTMLInputElement} */ (i).value));
  if (missing.length) {
    out.textContent = `Fill in ${missing.map((i) => /** @type {HTMLInputElement} */ (i).dataset.name).join(", ")}.`;
    return;
  }
  out.textContent = "…";
  const button = form.querySelector("button");
  if (button) button.disabled = true;
  try {
    const method = /** @type {any} */ ((form.dataset.method ?? "get").toLowerCase());
    const { response, data, error } = await api.request(method, /** @type {any} */ (form.dataset.path), { params, body, parseAs: "text" });
    const text = response.ok ? (data ?? "") : typeof error === "string" ? error : JSON.stringify(error ?? "");
    out.textContent = `${response.status} ${response.statusText}\n${pretty(String(text))}`;
    out.dataset.status = String(response.status);
    // Signing in through the page: keep the access token it answered for the next calls.
    let token;
    try {
      token = response.ok ? JSON.parse(String(text))?.accessToken : undefined;
    } catch {
      // not JSON (a CSV, a file)
    }
    if (typeof token === "string") {
      tokenInput.value = token;
      sessionStorage.setItem(TOKEN_KEY, token);
    }
  } catch (err) {
    out.textContent = `The request failed: ${err instanceof Error ? err.message : err}`;
  } finally {
    if (button) button.disabled = false;
  }
});
