// The dashboard's local-time helpers (dashboard/src/local-time.js), on days with a daylight-saving
// change: the board draws and drops on the local clock, not on hours elapsed since midnight.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { instantOfLocal, localMinutesOfDay, offsetMinutes } from "../../dashboard/src/local-time.js";

const BERLIN = "Europe/Berlin";

describe("dashboard local time", () => {
  it("reads offsets, half-hour zones and zones behind UTC included", () => {
    assert.equal(offsetMinutes(Date.parse("2026-01-15T12:00:00Z"), BERLIN), 60);
    assert.equal(offsetMinutes(Date.parse("2026-07-15T12:00:00Z"), BERLIN), 120);
    assert.equal(offsetMinutes(Date.parse("2026-07-15T12:00:00Z"), "Asia/Kolkata"), 330);
    assert.equal(offsetMinutes(Date.parse("2026-01-15T12:00:00Z"), "America/St_Johns"), -210);
    assert.equal(offsetMinutes(Date.parse("2026-01-15T12:00:00Z"), "Asia/Shanghai"), 480);
  });

  it("places 10:00 local at 600 minutes on the spring-forward day (29 March 2026 in Berlin)", () => {
    // 10:00 CEST is 08:00 UTC; only nine hours have passed since local midnight (23:00 UTC the day before).
    assert.equal(localMinutesOfDay(Date.parse("2026-03-29T08:00:00Z"), "2026-03-29", BERLIN), 600);
    assert.equal(localMinutesOfDay(Date.parse("2026-10-25T09:00:00Z"), "2026-10-25", BERLIN), 600); // autumn: 10:00 CET
    assert.equal(localMinutesOfDay(Date.parse("2026-03-29T22:00:00Z"), "2026-03-29", BERLIN), 1440); // next midnight
  });

  it("turns a local time back into its instant, across both changes", () => {
    assert.equal(instantOfLocal("2026-03-29", 600, BERLIN), Date.parse("2026-03-29T08:00:00Z"));
    assert.equal(instantOfLocal("2026-03-29", 60, BERLIN), Date.parse("2026-03-29T00:00:00Z")); // 01:00 CET, before the change
    assert.equal(instantOfLocal("2026-10-25", 600, BERLIN), Date.parse("2026-10-25T09:00:00Z"));
    assert.equal(instantOfLocal("2026-12-05", 9 * 60 + 30, "Asia/Shanghai"), Date.parse("2026-12-05T01:30:00Z"));
    // Every quarter hour of both change days round-trips (02:xx on the spring day does not exist).
    for (const date of ["2026-03-29", "2026-10-25"]) {
      for (let m = 0; m < 1440; m += 15) {
        if (date === "2026-03-29" && m >= 120 && m < 180) continue;
        assert.equal(localMinutesOfDay(instantOfLocal(date, m, BERLIN), date, BERLIN), m, `${date} ${m}`);
      }
    }
  });
});
