/**
 * The rules of asking the customers for a plan's proposed times: groups per technician's day, when a
 * group closes, the day's fingerprint, and the customers' notices in both languages.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { noticesFor } from "../../src/domain/notifications";
import { askClosesAt, dayFingerprint, proposalGroups } from "../../src/domain/proposal-groups";
import type { TimeProposal } from "../../src/domain/team-plan";

const proposal = fc.record({
  orderId: fc.stringMatching(/^ord_[a-z0-9]{1,6}$/),
  technicianId: fc.constantFrom("tch_a", "tch_b", "tch_c"),
  currentStart: fc.integer({ min: 0, max: 10_000_000 }),
  start: fc.integer({ min: 0, max: 10_000_000 }),
  end: fc.integer({ min: 0, max: 20_000_000 }),
});

describe("proposal groups", () => {
  it("partition the proposals: each group one technician's, every proposal in exactly one group", () => {
    fc.assert(
      fc.property(fc.array(proposal, { maxLength: 30 }), (ps) => {
        const groups = proposalGroups(ps);
        expect(new Set(groups.map((g) => g.technicianId)).size).toBe(groups.length);
        for (const g of groups) for (const p of g.proposals) expect(p.technicianId).toBe(g.technicianId);
        expect(groups.flatMap((g) => g.proposals).length).toBe(ps.length);
        for (const p of ps) expect(groups.filter((g) => g.proposals.includes(p))).toHaveLength(1);
      }),
    );
  });

  it("close the given minutes before the earliest start they touch, current or proposed", () => {
    fc.assert(
      fc.property(fc.array(proposal, { minLength: 1, maxLength: 10 }), fc.integer({ min: 0, max: 1440 }), (ps, minutes) => {
        const closes = askClosesAt(ps as TimeProposal[], minutes);
        for (const p of ps) {
          expect(closes).toBeLessThanOrEqual(p.currentStart - minutes * 60_000);
          expect(closes).toBeLessThanOrEqual(p.start - minutes * 60_000);
        }
        expect(ps.some((p) => Math.min(p.currentStart, p.start) - minutes * 60_000 === closes)).toBe(true);
      }),
    );
  });

  it("fingerprint a day by its orders' technicians and times, not their order nor a technician's acceptance", () => {
    const day = [
      { id: "ord_1", technicianId: "tch_a", startAt: 1000, endAt: 2000, status: "assigned" },
      { id: "ord_2", technicianId: "tch_a", startAt: 3000, endAt: 4000, status: "accepted" },
    ];
    const f = dayFingerprint(day);
    expect(dayFingerprint([...day].reverse())).toBe(f);
    expect(dayFingerprint([{ ...day[0]!, status: "accepted" }, day[1]!])).toBe(f);
    expect(dayFingerprint([{ ...day[0]!, startAt: 1500 }, day[1]!])).not.toBe(f);
    expect(dayFingerprint([{ ...day[0]!, status: "en_route" }, day[1]!])).not.toBe(f);
    expect(dayFingerprint([...day, { id: "ord_3", technicianId: "tch_a", startAt: 5000, endAt: 6000, status: "assigned" }])).not.toBe(f);
  });
});

describe("time proposal notices", () => {
  const base = {
    orderId: "ord_1",
    customerId: "acc_1",
    questionId: "rpq_1",
    currentStart: Date.UTC(2026, 11, 7, 1, 0),
    start: Date.UTC(2026, 11, 7, 2, 30),
  };

  it("ask the customer in both languages, both times in the city's zone", () => {
    const [n, ...rest] = noticesFor({ id: "msg_1", topic: "order.time_proposal", payload: { ...base, event: "asked" } }, "Asia/Shanghai");
    expect(rest).toEqual([]);
    expect(n).toMatchObject({ audience: "customer", kind: "order.time_proposal", data: { questionId: "rpq_1" } });
    expect(n!.body.zh).toContain("09:00");
    expect(n!.body.zh).toContain("10:30");
    expect(n!.body.en).toContain("09:00");
    expect(n!.body.en).toContain("10:30");
  });

  it("tell the customer their time stays when the group is dropped", () => {
    const [n] = noticesFor(
      { id: "msg_2", topic: "order.time_proposal", payload: { ...base, event: "dropped", reason: "declined" } },
      "Asia/Shanghai",
    );
    expect(n).toMatchObject({ kind: "order.time_proposal_dropped", title: { zh: "上门时间不变", en: "Your visit time stays" } });
    expect(n!.body.en).toContain("09:00");
    expect(n!.body.en).not.toContain("10:30");
  });
});
