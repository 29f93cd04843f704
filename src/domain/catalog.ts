/** Catalog rules that do not depend on storage: price models, extras, policies. */

export const PRICE_UNITS = ["hour", "visit", "m2"] as const;
export type PriceUnit = (typeof PRICE_UNITS)[number];

export const DISPATCH_MODES = ["auto", "grab", "manual", "chosen"] as const;
export type DispatchMode = (typeof DISPATCH_MODES)[number];

export interface Extra {
  code: string;
  name: { zh: string; en: string };
  /** Price in minor units. */
  price: number;
  /** Extra working time this option adds. */
  durationMinutes: number;
}

export interface CancellationTier {
  /** The tier applies when cancelling at least this many hours before the start. */
  hoursBefore: number;
  refundPercent: number;
}

export interface CancellationPolicy {
  /** Ordered from the earliest cancellation (most hours before) to the latest. */
  tiers: CancellationTier[];
  /** Kept (minor units) once the technician has set off. */
  visitFee: number;
}

export interface PaymentOptions {
  full: boolean;
  /** Deposit percentage when paying a deposit up front is allowed, else null. */
  depositPercent: number | null;
  afterService: boolean;
  /** Whether the technician may take cash for it (recorded with the amount, audited); absent = no. */
  cash?: boolean;
}

export interface PolicyProblem {
  path: string;
  message: string;
}

/**
 * Checks a cancellation policy: tiers strictly by decreasing hours, refunds never growing as the
 * start approaches, percentages within 0–100, hours and the visit fee non-negative.
 */
export function checkCancellationPolicy(policy: CancellationPolicy, path = "cancellationPolicy"): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  policy.tiers.forEach((tier, i) => {
    if (!Number.isFinite(tier.hoursBefore) || tier.hoursBefore < 0) {
      problems.push({ path: `${path}.tiers.${i}.hoursBefore`, message: "hoursBefore must be a number ≥ 0" });
    }
    if (!Number.isInteger(tier.refundPercent) || tier.refundPercent < 0 || tier.refundPercent > 100) {
      problems.push({ path: `${path}.tiers.${i}.refundPercent`, message: "refundPercent must be an integer from 0 to 100" });
    }
    const prev = policy.tiers[i - 1];
    if (!prev) return;
    if (tier.hoursBefore >= prev.hoursBefore) {
      problems.push({ path: `${path}.tiers.${i}.hoursBefore`, message: "tiers must be ordered by strictly decreasing hoursBefore" });
    }
    if (tier.refundPercent > prev.refundPercent) {
      problems.push({ path: `${path}.tiers.${i}.refundPercent`, message: "a later tier may not refund more than an earlier one" });
    }
  });
  if (!Number.isInteger(policy.visitFee) || policy.visitFee < 0) {
    problems.push({ path: `${path}.visitFee`, message: "visitFee must be an integer ≥ 0 (minor units)" });
  }
  return problems;
}

/** At least one way to pay; a deposit is a whole percentage strictly between 0 and 100. */
export function checkPaymentOptions(options: PaymentOptions, path = "paymentOptions"): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const dp = options.depositPercent;
  if (dp !== null && (!Number.isInteger(dp) || dp < 1 || dp > 99)) {
    problems.push({ path: `${path}.depositPercent`, message: "depositPercent must be an integer from 1 to 99, or null" });
  }
  if (!options.full && dp === null && !options.afterService) {
    problems.push({ path, message: "at least one payment option must be enabled" });
  }
  return problems;
}

export function checkExtras(extras: Extra[], path = "extras"): PolicyProblem[] {
  const seen = new Set<string>();
  const problems: PolicyProblem[] = [];
  extras.forEach((e, i) => {
    if (seen.has(e.code)) problems.push({ path: `${path}.${i}.code`, message: `duplicate extra code ${e.code}` });
    seen.add(e.code);
  });
  return problems;
}

/** Refund percentage a policy grants when cancelling `hoursBefore` hours before the start. */
export function refundPercentAt(policy: CancellationPolicy, hoursBefore: number): number {
  for (const tier of policy.tiers) {
    if (hoursBefore >= tier.hoursBefore) return tier.refundPercent;
  }
  return 0;
}

/** Skill codes: lowercase letters, digits and underscores, 2–32 long. */
export const SKILL_CODE = /^[a-z0-9_]{2,32}$/;

/** Reports every value that repeats an earlier one in the list. */
export function checkUnique(values: readonly string[], path: string, what: string): PolicyProblem[] {
  const seen = new Set<string>();
  const problems: PolicyProblem[] = [];
  values.forEach((v, i) => {
    if (seen.has(v)) problems.push({ path: `${path}.${i}`, message: `duplicate ${what} ${v}` });
    seen.add(v);
  });
  return problems;
}

/** The parts of a service whose rules span several values. */
export interface ServiceRules {
  requiredSkills: string[];
  extras: Extra[];
  cancellationPolicy: CancellationPolicy;
  paymentOptions: PaymentOptions;
  cityIds: string[];
}

/** Every cross-value rule of a service, with paths under `path` (e.g. `body`). */
export function checkServiceRules(s: ServiceRules, path = "body"): PolicyProblem[] {
  return [
    ...checkUnique(s.requiredSkills, `${path}.requiredSkills`, "skill"),
    ...checkExtras(s.extras, `${path}.extras`),
    ...checkCancellationPolicy(s.cancellationPolicy, `${path}.cancellationPolicy`),
    ...checkPaymentOptions(s.paymentOptions, `${path}.paymentOptions`),
    ...checkUnique(s.cityIds, `${path}.cityIds`, "city"),
  ];
}

/** Escapes `%`, `_` and `\` so text matches literally in `LIKE … ESCAPE '\'`. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

export interface CategoryLink {
  id: string;
  parentId: string | null;
}

/** The ids of every category below `id` (children, grandchildren, …), not including `id`. */
export function descendantIds(categories: readonly CategoryLink[], id: string): Set<string> {
  const children = new Map<string, string[]>();
  for (const c of categories) {
    if (c.parentId === null) continue;
    const list = children.get(c.parentId) ?? [];
    list.push(c.id);
    children.set(c.parentId, list);
  }
  const found = new Set<string>();
  const stack = [...(children.get(id) ?? [])];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (next === id || found.has(next)) continue;
    found.add(next);
    stack.push(...(children.get(next) ?? []));
  }
  return found;
}

/** Whether placing category `id` under `parentId` would make it its own ancestor. */
export function wouldCreateCycle(categories: readonly CategoryLink[], id: string, parentId: string | null): boolean {
  if (parentId === null) return false;
  return parentId === id || descendantIds(categories, id).has(parentId);
}

export interface CategoryNode<T> {
  category: T;
  children: CategoryNode<T>[];
}

/**
 * Arranges categories into a forest ordered by `sort`, then id. A category whose parent is missing,
 * or that sits on a loop of parents, is shown as a root: nothing stored ever disappears from the tree.
 */
export function buildCategoryTree<T extends CategoryLink & { sort: number }>(categories: readonly T[]): CategoryNode<T>[] {
  const nodes = new Map<string, CategoryNode<T>>(categories.map((c) => [c.id, { category: c, children: [] }]));
  const roots: CategoryNode<T>[] = [];
  for (const node of nodes.values()) {
    const parent = node.category.parentId === null ? undefined : nodes.get(node.category.parentId);
    (parent && parent !== node ? parent.children : roots).push(node);
  }
  const reached = new Set<CategoryNode<T>>();
  const reach = (from: CategoryNode<T>) => {
    const stack = [from];
    while (stack.length > 0) {
      const n = stack.pop()!;
      reached.add(n);
      stack.push(...n.children);
    }
  };
  roots.forEach(reach);
  for (const node of [...nodes.values()].sort((a, b) => compareIds(a.category.id, b.category.id))) {
    if (reached.has(node)) continue;
    // On a loop of parents: cut the loop here.
    const parent = nodes.get(node.category.parentId!)!;
    parent.children = parent.children.filter((c) => c !== node);
    roots.push(node);
    reach(node);
  }
  const order = (a: CategoryNode<T>, b: CategoryNode<T>) => a.category.sort - b.category.sort || compareIds(a.category.id, b.category.id);
  const sortAll = (list: CategoryNode<T>[]) => {
    list.sort(order);
    for (const n of list) sortAll(n.children);
  };
  sortAll(roots);
  return roots;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
