/** CSV exports cannot carry a spreadsheet formula: every cell starting with = + - @ tab or CR is defused. */
import { describe, expect, it } from "vitest";
import { csvCell, csvDocument } from "../../src/domain/csv";
import { toCsv } from "../../src/domain/reports";

const LEADS = ["=", "+", "-", "@", "\t", "\r"] as const;
const PAYLOAD = "1+cmd|' /C calc'!A0";

describe("CSV cells (OWASP CSV injection)", () => {
  for (const lead of LEADS) {
    it(`prefixes a text starting with ${JSON.stringify(lead)} with a quote, inside the quoted cell`, () => {
      expect(csvCell(`${lead}${PAYLOAD}`)).toBe(`"'${lead}${PAYLOAD.replaceAll('"', '""')}"`);
    });
  }

  it("leaves other text alone but quotes it (and doubles inner quotes)", () => {
    expect(csvCell("plain")).toBe('"plain"');
    expect(csvCell('say "hi", then go')).toBe('"say ""hi"", then go"');
    expect(csvCell(" =x")).toBe('" =x"');
    expect(csvCell(null)).toBe('""');
    expect(csvCell(undefined)).toBe('""');
  });

  it("writes numbers we computed as numbers, negative ones included, but defuses numeric-looking text", () => {
    expect(csvCell(-3)).toBe('"-3"');
    expect(csvCell(12.5)).toBe('"12.5"');
    expect(csvCell("-3")).toBe(`"'-3"`);
    expect(csvCell("-1+1")).toBe(`"'-1+1"`);
  });

  it("builds a document of quoted lines with CRLF endings", () => {
    expect(csvDocument(["a", "b"], [["=SUM(A1)", 2]])).toBe('a,b\r\n"\'=SUM(A1)","2"\r\n');
    expect(csvDocument(["=bad"], [])).toBe(`"'=bad"\r\n`);
  });

  for (const lead of LEADS) {
    it(`the reports export defuses a cell starting with ${JSON.stringify(lead)}`, () => {
      const out = toCsv(["name"], [{ name: `${lead}1+1` }]);
      expect(out).toBe(`name\r\n"'${lead}1+1"\r\n`);
    });
  }
});
