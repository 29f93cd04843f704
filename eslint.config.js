import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules",
      "**/.wrangler",
      "dist",
      "bench/results",
      "worker-configuration.d.ts",
      "migrations",
      "coverage",
      "public",
      ".cache",
      "sdk/schema.d.ts",
      "sdk/dist",
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: [
      "src/**/*.ts",
      "src/**/*.tsx",
      "durable/**/*.ts",
      "test/**/*.ts",
      "bench/*.test.ts",
      "bench/seed-bench.ts",
      "bench/fixtures.ts",
      "bench/worker.ts",
      "bench/worker/**/*.ts",
      "bench/floor/**/*.ts",
      "bench/node/**/*.ts",
    ],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // An unawaited promise (above all a Durable Object RPC) is a lost write.
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // SQL lives in repositories: src/db/ (schema, client, shared repositories) or an area's *.repo.ts.
    // Services get the drizzle handle from getDb(env) and call repository functions; tests may
    // still write to D1 directly to set up their data.
    files: ["src/**/*.ts", "src/**/*.tsx"],
    ignores: ["src/db/**", "src/**/*.repo.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [{ name: "drizzle-orm", message: "Queries live in repositories (src/db/repositories/): call one from the service." }],
          patterns: [
            { group: ["drizzle-orm/*"], message: "Queries live in repositories (src/db/repositories/): call one from the service." },
            { group: ["**/db/schema"], message: "Only repositories read the schema: use their row types and functions." },
          ],
        },
      ],
      "no-restricted-syntax": [
        "error",
        { selector: "TaggedTemplateExpression[tag.name='sql']", message: "SQL lives in repositories (src/db/repositories/)." },
        { selector: "CallExpression[callee.object.name='sql']", message: "SQL lives in repositories (src/db/repositories/)." },
        {
          selector: "CallExpression[callee.property.name='prepare']",
          message: "Prepared statements live in repositories (src/db/repositories/).",
        },
        {
          selector: "CallExpression[callee.property.name='exec'][callee.object.name=/^(db|raw|d1)$/i]",
          message: "SQL lives in repositories (src/db/repositories/).",
        },
        {
          selector: "CallExpression[callee.property.name='exec'][callee.object.property.name=/^(DB|\\$client)$/]",
          message: "SQL lives in repositories (src/db/repositories/).",
        },
        {
          selector: "MemberExpression[property.name='DB']",
          message: "The D1 binding is read only in src/db/: pass getDb(env) to a repository.",
        },
        {
          selector: "ObjectPattern > Property[key.name='DB']",
          message: "The D1 binding is read only in src/db/: pass getDb(env) to a repository.",
        },
        {
          selector: "MemberExpression[property.name='$client']",
          message: "The raw D1 client is used only in src/db/: add a repository function.",
        },
      ],
    },
  },
  {
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    files: ["scripts/**/*.mjs", "bench/**/*.mjs", "test/browser/**/*.mjs", "test/node/**/*.mjs", "test/sdk/**/*.mjs", "*.js"],
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        URL: "readonly",
        fetch: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        crypto: "readonly",
        performance: "readonly",
        Buffer: "readonly",
        TextEncoder: "readonly",
        AbortController: "readonly",
        AbortSignal: "readonly",
        WebSocket: "readonly",
        URLSearchParams: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        structuredClone: "readonly",
        Request: "readonly",
        Response: "readonly",
      },
    },
  },
  {
    files: ["*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { module: "writable", require: "readonly" } },
  },
  {
    // The dashboard runs in the browser (bundled by scripts/build-dashboard.mjs).
    files: ["dashboard/**/*.js"],
    languageOptions: {
      globals: {
        window: "readonly",
        document: "readonly",
        navigator: "readonly",
        location: "readonly",
        localStorage: "readonly",
        sessionStorage: "readonly",
        HTMLFormElement: "readonly",
        FormData: "readonly",
        fetch: "readonly",
        URL: "readonly",
        URLSearchParams: "readonly",
        Blob: "readonly",
        ArrayBuffer: "readonly",
        Intl: "readonly",
        console: "readonly",
        setTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        addEventListener: "readonly",
        removeEventListener: "readonly",
        crypto: "readonly",
      },
    },
  },
);
