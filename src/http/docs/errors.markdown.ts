/** docs/errors.md, rendered from the error catalogue (`npm run docs:errors` writes it; a test keeps it in sync). */
import { errorCatalogue } from "../../errors";

const cell = (s: string) => s.replaceAll("|", "\\|");

export function errorsMarkdown(): string {
  const rows = errorCatalogue().map((e) => `| \`${e.code}\` | ${e.status} | ${cell(e.detail.en)} | ${cell(e.detail["zh-CN"])} |`);
  return [
    "# Error codes",
    "",
    "Generated from `src/errors.ts` by `npm run docs:errors`; do not edit by hand.",
    "",
    "Every error is an RFC 9457 `application/problem+json` body with `type`",
    "(`https://doorstep.dev/problems/<code in kebab case>`), `title` (the status's name), `status`, `detail`",
    "(in the language of `Accept-Language`: `zh-CN` by default, or `en`), `code` and `requestId`; validation",
    "failures add `errors: [{ path, message }]`. `{name}` in a message is filled in when the error is raised.",
    "The same list is in `/openapi.json` as `info.x-error-codes`.",
    "",
    "| code | status | en | zh-CN |",
    "| --- | --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
}
