import { defineConfig } from "drizzle-kit";

// Generates flat SQL migrations from src/db/schema.ts; wrangler applies them (migrations_dir).
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./migrations",
});
