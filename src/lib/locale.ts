export type Locale = "zh" | "en";

/** Text in both supported languages. */
export interface Localized {
  zh: string;
  en: string;
}

/** zh-CN is the default; `en` wins only when the client prefers English. */
export function pickLocale(acceptLanguage: string | undefined): Locale {
  if (!acceptLanguage) return "zh";
  const first = acceptLanguage.split(",")[0]?.trim().toLowerCase() ?? "";
  return first.startsWith("en") ? "en" : "zh";
}
