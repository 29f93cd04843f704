import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildCategoryTree,
  checkCancellationPolicy,
  checkExtras,
  checkPaymentOptions,
  checkServiceRules,
  checkUnique,
  descendantIds,
  escapeLike,
  refundPercentAt,
  SKILL_CODE,
  wouldCreateCycle,
  type CancellationPolicy,
  type CategoryLink,
  type Extra,
} from "../../src/domain/catalog";

const extra = (code: string): Extra => ({ code, name: { zh: code, en: code }, price: 100, durationMinutes: 10 });

/** Any policy that follows the rules: distinct hours sorted down, refunds sorted down. */
const validPolicy: fc.Arbitrary<CancellationPolicy> = fc
  .record({
    hours: fc.uniqueArray(fc.integer({ min: 0, max: 24 * 30 }), { maxLength: 8 }),
    refunds: fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 8, maxLength: 8 }),
    visitFee: fc.integer({ min: 0, max: 100_000 }),
  })
  .map(({ hours, refunds, visitFee }) => {
    const h = [...hours].sort((a, b) => b - a);
    const r = [...refunds].sort((a, b) => b - a);
    return { tiers: h.map((hoursBefore, i) => ({ hoursBefore, refundPercent: r[i]! })), visitFee };
  });

describe("checkCancellationPolicy", () => {
  it("accepts a typical tiered policy", () => {
    const policy = {
      tiers: [
        { hoursBefore: 24, refundPercent: 100 },
        { hoursBefore: 2, refundPercent: 50 },
        { hoursBefore: 0, refundPercent: 0 },
      ],
      visitFee: 2000,
    };
    expect(checkCancellationPolicy(policy)).toEqual([]);
    expect(checkCancellationPolicy({ tiers: [], visitFee: 0 })).toEqual([]);
  });

  it("points at the tier whose hours do not decrease", () => {
    const problems = checkCancellationPolicy(
      {
        tiers: [
          { hoursBefore: 24, refundPercent: 100 },
          { hoursBefore: 24, refundPercent: 50 },
          { hoursBefore: 48, refundPercent: 0 },
        ],
        visitFee: 0,
      },
      "body.cancellationPolicy",
    );
    expect(problems.map((p) => p.path)).toEqual([
      "body.cancellationPolicy.tiers.1.hoursBefore",
      "body.cancellationPolicy.tiers.2.hoursBefore",
    ]);
  });

  it("points at the tier that refunds more than an earlier one", () => {
    const problems = checkCancellationPolicy({
      tiers: [
        { hoursBefore: 24, refundPercent: 50 },
        { hoursBefore: 2, refundPercent: 80 },
      ],
      visitFee: 0,
    });
    expect(problems).toEqual([{ path: "cancellationPolicy.tiers.1.refundPercent", message: expect.any(String) }]);
  });

  it("rejects out-of-range values", () => {
    const problems = checkCancellationPolicy({ tiers: [{ hoursBefore: -1, refundPercent: 101 }], visitFee: 1.5 });
    expect(problems.map((p) => p.path)).toEqual([
      "cancellationPolicy.tiers.0.hoursBefore",
      "cancellationPolicy.tiers.0.refundPercent",
      "cancellationPolicy.visitFee",
    ]);
    expect(checkCancellationPolicy({ tiers: [{ hoursBefore: Number.NaN, refundPercent: 50.5 }], visitFee: -1 })).toHaveLength(3);
  });

  it("accepts every policy built by the rules", () => {
    fc.assert(fc.property(validPolicy, (policy) => checkCancellationPolicy(policy).length === 0));
  });

  it("rejects any policy in which two different tiers are swapped", () => {
    fc.assert(
      fc.property(
        validPolicy.filter((p) => p.tiers.length >= 2),
        fc.nat(),
        fc.nat(),
        (policy, x, y) => {
          const i = x % policy.tiers.length;
          const j = y % policy.tiers.length;
          fc.pre(i !== j);
          const tiers = [...policy.tiers];
          [tiers[i], tiers[j]] = [tiers[j]!, tiers[i]!];
          expect(checkCancellationPolicy({ ...policy, tiers }).length).toBeGreaterThan(0);
        },
      ),
    );
  });
});

describe("refundPercentAt", () => {
  const policy = {
    tiers: [
      { hoursBefore: 24, refundPercent: 100 },
      { hoursBefore: 2, refundPercent: 50 },
    ],
    visitFee: 0,
  };

  it("applies the first tier whose hours have not yet passed, else nothing", () => {
    expect(refundPercentAt(policy, 48)).toBe(100);
    expect(refundPercentAt(policy, 24)).toBe(100);
    expect(refundPercentAt(policy, 23.9)).toBe(50);
    expect(refundPercentAt(policy, 2)).toBe(50);
    expect(refundPercentAt(policy, 1)).toBe(0);
    expect(refundPercentAt({ tiers: [], visitFee: 0 }, 100)).toBe(0);
  });

  it("never grows as the start approaches, for any valid policy", () => {
    fc.assert(
      fc.property(
        validPolicy,
        fc.double({ min: -10, max: 1000, noNaN: true }),
        fc.double({ min: -10, max: 1000, noNaN: true }),
        (p, a, b) => {
          const [earlier, later] = a >= b ? [a, b] : [b, a];
          expect(refundPercentAt(p, later)).toBeLessThanOrEqual(refundPercentAt(p, earlier));
        },
      ),
    );
  });

  it("always answers a percentage the policy names, or 0", () => {
    fc.assert(
      fc.property(validPolicy, fc.double({ min: -10, max: 1000, noNaN: true }), (p, h) => {
        const r = refundPercentAt(p, h);
        expect(r === 0 || p.tiers.some((t) => t.refundPercent === r)).toBe(true);
      }),
    );
  });
});

describe("checkPaymentOptions", () => {
  it("needs at least one way to pay", () => {
    expect(checkPaymentOptions({ full: false, depositPercent: null, afterService: false })).toEqual([
      { path: "paymentOptions", message: expect.any(String) },
    ]);
    expect(checkPaymentOptions({ full: false, depositPercent: 30, afterService: false })).toEqual([]);
    expect(checkPaymentOptions({ full: false, depositPercent: null, afterService: true })).toEqual([]);
    expect(checkPaymentOptions({ full: true, depositPercent: null, afterService: false })).toEqual([]);
  });

  it("keeps a deposit strictly between 0 and 100, whole", () => {
    for (const depositPercent of [0, 100, 50.5, -3]) {
      expect(checkPaymentOptions({ full: true, depositPercent, afterService: false }).map((p) => p.path)).toEqual([
        "paymentOptions.depositPercent",
      ]);
    }
    expect(checkPaymentOptions({ full: false, depositPercent: 1, afterService: false })).toEqual([]);
    expect(checkPaymentOptions({ full: false, depositPercent: 99, afterService: false })).toEqual([]);
  });
});

describe("checkExtras and checkUnique", () => {
  it("reports each repeated extra code at its position", () => {
    expect(checkExtras([extra("a"), extra("b"), extra("a"), extra("a")]).map((p) => p.path)).toEqual(["extras.2.code", "extras.3.code"]);
    expect(checkExtras([extra("a"), extra("b")])).toEqual([]);
  });

  it("reports nothing for any list of distinct values and exactly the repeats otherwise", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 3 }), { maxLength: 20 }), (values) => {
        const problems = checkUnique(values, "list", "value");
        expect(problems).toHaveLength(values.length - new Set(values).size);
      }),
    );
  });
});

describe("checkServiceRules", () => {
  it("collects problems from every part with paths under the given root", () => {
    const problems = checkServiceRules(
      {
        requiredSkills: ["a", "a"],
        extras: [extra("x"), extra("x")],
        cancellationPolicy: {
          tiers: [
            { hoursBefore: 1, refundPercent: 0 },
            { hoursBefore: 2, refundPercent: 0 },
          ],
          visitFee: 0,
        },
        paymentOptions: { full: false, depositPercent: null, afterService: false },
        cityIds: ["c", "c"],
      },
      "body",
    );
    expect(problems.map((p) => p.path)).toEqual([
      "body.requiredSkills.1",
      "body.extras.1.code",
      "body.cancellationPolicy.tiers.1.hoursBefore",
      "body.paymentOptions",
      "body.cityIds.1",
    ]);
  });
});

describe("escapeLike", () => {
  it("escapes the LIKE wildcards and the escape character", () => {
    expect(escapeLike("100%_off\\")).toBe("100\\%\\_off\\\\");
    expect(escapeLike("保洁 cleaning")).toBe("保洁 cleaning");
  });

  it("escaped text matches itself literally under LIKE semantics", () => {
    // A small model of SQL LIKE with ESCAPE '\' (case-sensitive is enough here).
    const like = (text: string, pattern: string) => {
      let re = "";
      for (let i = 0; i < pattern.length; i++) {
        const ch = pattern[i]!;
        if (ch === "\\") re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        else if (ch === "%") re += "[\\s\\S]*";
        else if (ch === "_") re += "[\\s\\S]";
        else re += ch.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      }
      return new RegExp(`^${re}$`).test(text);
    };
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom("a", "%", "_", "\\", "b") }),
        fc.string({ unit: fc.constantFrom("a", "%", "_", "\\", "b") }),
        (s, t) => {
          expect(like(t, escapeLike(s))).toBe(s === t);
        },
      ),
    );
  });
});

describe("SKILL_CODE", () => {
  it("allows lowercase letters, digits and underscores, 2–32 long", () => {
    for (const ok of ["ac", "deep_cleaning", "a1", "x".repeat(32)]) expect(SKILL_CODE.test(ok)).toBe(true);
    for (const bad of ["a", "Deep", "has-dash", "x".repeat(33), "with space", "保洁"]) expect(SKILL_CODE.test(bad)).toBe(false);
  });
});

/** A random forest: each node's parent is an earlier node or none. */
const forest: fc.Arbitrary<CategoryLink[]> = fc.array(fc.option(fc.nat(), { nil: null }), { minLength: 1, maxLength: 25 }).map((parents) =>
  parents.map((p, i) => ({
    id: `c${String(i).padStart(2, "0")}`,
    parentId: p === null || i === 0 ? null : `c${String(p % i).padStart(2, "0")}`,
  })),
);

/** The chain of parents above `id`, cut off once it is longer than the forest (a loop). */
function ancestorsOf(links: CategoryLink[], id: string): string[] {
  const byId = new Map(links.map((l) => [l.id, l]));
  const out: string[] = [];
  for (let p = byId.get(id)?.parentId ?? null; p !== null && out.length <= links.length; p = byId.get(p)?.parentId ?? null) out.push(p);
  return out;
}

describe("category tree", () => {
  it("finds descendants at every depth", () => {
    const links = [
      { id: "a", parentId: null },
      { id: "b", parentId: "a" },
      { id: "c", parentId: "b" },
      { id: "d", parentId: null },
    ];
    expect([...descendantIds(links, "a")].sort()).toEqual(["b", "c"]);
    expect([...descendantIds(links, "c")]).toEqual([]);
    expect(wouldCreateCycle(links, "a", "c")).toBe(true);
    expect(wouldCreateCycle(links, "a", "a")).toBe(true);
    expect(wouldCreateCycle(links, "c", "d")).toBe(false);
    expect(wouldCreateCycle(links, "b", null)).toBe(false);
  });

  it("a node is a descendant of x exactly when x is among its ancestors", () => {
    fc.assert(
      fc.property(forest, fc.nat(), (links, k) => {
        const x = links[k % links.length]!.id;
        const below = descendantIds(links, x);
        for (const l of links) expect(below.has(l.id)).toBe(ancestorsOf(links, l.id).includes(x));
      }),
    );
  });

  it("flags exactly the moves that close a loop; any other move keeps every node in the tree once", () => {
    fc.assert(
      fc.property(forest, fc.nat(), fc.nat(), (links, a, b) => {
        const id = links[a % links.length]!.id;
        const parentId = links[b % links.length]!.id;
        const moved = links.map((l) => (l.id === id ? { ...l, parentId } : l));
        const cyclic = wouldCreateCycle(links, id, parentId);
        // Before the move it is a forest, so any loop after it runs through the moved node.
        expect(cyclic).toBe(ancestorsOf(moved, id).includes(id));
        if (!cyclic) {
          const seen: string[] = [];
          const walk = (nodes: ReturnType<typeof buildCategoryTree<CategoryLink & { sort: number }>>) => {
            for (const n of nodes) {
              seen.push(n.category.id);
              walk(n.children);
            }
          };
          walk(buildCategoryTree(moved.map((l) => ({ ...l, sort: 0 }))));
          expect(seen.sort()).toEqual(links.map((l) => l.id).sort());
        }
      }),
    );
  });

  it("orders siblings by sort, then id, and keeps orphans and loops visible as roots", () => {
    const rows = [
      { id: "b", parentId: null, sort: 1 },
      { id: "a", parentId: null, sort: 1 },
      { id: "z", parentId: null, sort: 0 },
      { id: "child", parentId: "a", sort: 0 },
      { id: "orphan", parentId: "gone", sort: 0 },
      { id: "loop1", parentId: "loop2", sort: 0 },
      { id: "loop2", parentId: "loop1", sort: 0 },
    ];
    const tree = buildCategoryTree(rows);
    expect(tree.map((n) => n.category.id)).toEqual(["loop1", "orphan", "z", "a", "b"]);
    expect(tree[3]!.children.map((n) => n.category.id)).toEqual(["child"]);
    expect(tree[0]!.children.map((n) => n.category.id)).toEqual(["loop2"]);
  });
});
