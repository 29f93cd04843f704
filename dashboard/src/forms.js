// A small form for the set-up screens: fields described as data, the server's validation (the one
// source of the rules) shown under each field in the chosen language, the problem's text below.
import { useState } from "preact/hooks";
import { html, useApp, ErrorNote, FieldError } from "./ui.js";

// Text the person typed goes to the server as a number when it is one, else as typed, so the
// server's validation names the field.
export const num = (text) => (String(text).trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : text);
/** Yuan as typed → fen (integer minor units) when it is a number. */
export const fen = (text) => {
  const n = Number(String(text).trim());
  return String(text).trim() !== "" && Number.isFinite(n) ? Math.round(n * 100) : text;
};
/** Empty text → left out of the body. */
export const optional = (text, conv = (x) => x) => (String(text ?? "").trim() === "" ? undefined : conv(text));

/**
 * `fields`: [{ key, label, path?, type?: "text"|"select"|"checkbox"|"datetime-local", options?: [[value, label]], attrs? }]
 * (path: the request field its errors name, default `body.<key>`). `submit(values)` sends it and
 * throws the API's error; `onDone(result)` follows a success. The form resets after a create.
 */
export function Form({ fields, initial = {}, submit, onDone, submitLabel, testid, reset = false, extra }) {
  const { t } = useApp();
  const start = () => Object.fromEntries(fields.map((f) => [f.key, initial[f.key] ?? (f.type === "checkbox" ? false : "")]));
  const [values, setValues] = useState(start);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (key) => (e) =>
    setValues({ ...values, [key]: e.currentTarget.type === "checkbox" ? e.currentTarget.checked : e.currentTarget.value });
  const send = async (e) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const result = await submit(values);
      if (reset) setValues(start());
      onDone?.(result);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="form-grid" onSubmit=${send} data-testid=${testid}>
    ${fields.map((f) => {
      const path = f.path ?? `body.${f.key}`;
      if (f.type === "checkbox") {
        return html`<label class="check"
          ><input type="checkbox" name=${f.key} checked=${values[f.key]} onChange=${set(f.key)} /> ${f.label}<${FieldError}
            error=${error}
            path=${path}
        /></label>`;
      }
      if (f.type === "select") {
        return html`<label
          >${f.label}
          <select name=${f.key} value=${values[f.key]} onChange=${set(f.key)}>
            ${f.options.map(([v, l]) => html`<option value=${v}>${l}</option>`)}
          </select>
          <${FieldError} error=${error} path=${path}
        /></label>`;
      }
      return html`<label
        >${f.label}<input
          name=${f.key}
          type=${f.type ?? "text"}
          value=${values[f.key]}
          onInput=${set(f.key)}
          ...${f.attrs ?? {}} /><${FieldError} error=${error} path=${path}
      /></label>`;
    })}
    ${extra}
    <div>
      <button class="primary" type="submit" disabled=${busy} data-testid=${testid ? `${testid}-submit` : undefined}>
        ${submitLabel ?? t("save")}
      </button>
    </div>
    ${error && html`<${ErrorNote} error=${error} />`}
  </form>`;
}
