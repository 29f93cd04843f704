// The Worker's OpenAPI document without a Worker: bundles src/app.ts for Node (esbuild, the one
// runtime-only import stubbed) and asks the app for the document it serves at /openapi.json.
// Used by `npm run sdk` (scripts/sdk.mjs) and by the SDK's drift test.
import { build } from "esbuild";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** `cloudflare:workers` exists only in workerd; building the document never calls it (only GET /docs does). */
const workersStub = {
  name: "cloudflare-workers-stub",
  setup(b) {
    b.onResolve({ filter: /^cloudflare:workers$/ }, () => ({ path: "cloudflare:workers", namespace: "stub" }));
    b.onLoad({ filter: /.*/, namespace: "stub" }, () => ({
      contents: "export const exports = {}; export const env = {}; export class DurableObject {} export class WorkerEntrypoint {}",
      loader: "js",
    }));
  },
};

/** The document /openapi.json serves, built in this process from the app's routes. */
export async function openApiDocument() {
  const dir = mkdtempSync(join(tmpdir(), "doorstep-openapi-"));
  try {
    const outfile = join(dir, "app.mjs");
    await build({
      stdin: {
        contents:
          'import { createApp, openApiConfig } from "./src/app.ts"; export const document = () => createApp().getOpenAPI31Document(openApiConfig());',
        resolveDir: ROOT,
        loader: "ts",
      },
      outfile,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node22",
      logLevel: "warning",
      plugins: [workersStub],
    });
    const { document } = await import(pathToFileURL(outfile).href);
    return document();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
