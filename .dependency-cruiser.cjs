/**
 * Import boundaries of the Worker and its Durable Objects, checked by `npm run lint`
 * (`depcruise src durable --config .dependency-cruiser.cjs`). DEVELOPERS.md ("Boundaries") explains them.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment:
        "Modules that import each other (at run time) load in an order nobody chose. Type-only imports are erased by the compiler and do not count.",
      from: { path: "^(src|durable)/" },
      to: { circular: true, dependencyTypesNot: ["type-only"], viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
    {
      name: "durable-imports-durable-and-domain",
      severity: "error",
      comment:
        "A Durable Object keeps its clock and its invariants; the Worker's business stays in the Worker. durable/ imports only durable/, the pure rules of src/domain/, the logger (src/lib/log.ts, src/lib/redact.ts) and packages.",
      from: { path: "^durable/" },
      to: { path: "^(src|test|bench|scripts|dashboard)/", pathNot: ["^src/domain/", "^src/lib/(log|redact)\\.ts$"] },
    },
    {
      name: "src-imports-durable-types-only",
      severity: "error",
      comment:
        "The Worker talks to Durable Objects over RPC: it needs their types, not their code. Only the entry point exports the class itself, for the runtime.",
      from: { path: "^src/", pathNot: "^src/index\\.ts$" },
      to: { path: "^durable/", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "domain-is-pure",
      severity: "error",
      comment:
        "src/domain/ holds rules without bindings: it imports only itself, packages and the pure helpers of src/lib (no I/O, no randomness, no clock).",
      from: { path: "^src/domain/" },
      to: { path: "^(src|durable)/", pathNot: ["^src/domain/", "^src/lib/(encoding|locale)\\.ts$"] },
    },
    {
      name: "no-imports-from-tests-or-bench",
      severity: "error",
      comment: "Tests and benchmarks use the product, never the other way round (and they are not in the production bundle).",
      from: { path: "^(src|durable)/" },
      to: { path: "^(test|bench)/" },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      comment: "An import that does not resolve is a typo or a missing package.",
      from: {},
      to: { couldNotResolve: true, pathNot: "^cloudflare:" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types", "workerd", "worker"],
      mainFields: ["module", "main", "types", "typings"],
    },
  },
};
