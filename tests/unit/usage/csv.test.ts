import { describe, expect, it } from "vitest";
import { csvField, csvLine, csvNumber } from "@/lib/usage/export";

// A spreadsheet in a locale whose list separator is ";" reads our comma-separated
// export with ";" as the delimiter. Two ways such readers treat quotes are
// modelled: quotes open only at the start of a field (what follows a closing
// quote is taken literally: Python's csv, many importers), or every quote
// toggles the quoted state. Either way no cell may start a formula.

const TRIGGER = /^[=+\-@\t\r]/;

/** Quotes open a field only at its start; `""` inside is a quote; text after a closing quote is literal. */
function startQuoted(line: string, delimiter: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let state: "start" | "plain" | "quoted" | "closed" = "start";
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (state === "quoted") {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') state = "closed";
      else cell += c;
    } else if (c === delimiter) {
      cells.push(cell);
      cell = "";
      state = "start";
    } else if (c === '"' && state === "start") state = "quoted";
    else {
      cell += c;
      state = "plain";
    }
  }
  cells.push(cell);
  return cells;
}

/** Every quote toggles the quoted state; a doubled quote inside quotes is one quote. */
function toggling(line: string, delimiter: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"' && quoted && line[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (c === '"') quoted = !quoted;
    else if (c === delimiter && !quoted) {
      cells.push(cell);
      cell = "";
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}

const HOSTILE = [
  "=1+1;=cmd|' /C calc'!A0",
  "x;=cmd|' /C calc'!A0",
  'ann;"=HYPERLINK(""http://evil.example"")"',
  'ann;""=1+1',
  "safe;+1",
  ";-2+3",
  "a;@SUM(A1)",
  "a;\t=1",
  "a,=1;=2",
  "@SUM(1)",
  "\r=1",
];

describe("CSV fields", () => {
  it("security #13.8 CSV: text fields are always quoted; numbers, dates and booleans are not", () => {
    expect(csvField("plain")).toBe('"plain"');
    expect(csvField("")).toBe('""');
    expect(csvField("123")).toBe('"123"');
    expect(csvField(42)).toBe("42");
    expect(csvField(-3)).toBe("-3");
    expect(csvField(true)).toBe("true");
    expect(csvField(null)).toBe("");
    expect(csvField(new Date(Date.UTC(2030, 0, 1)))).toBe("2030-01-01T00:00:00.000Z");
    expect(csvField(csvNumber("0.00027000"))).toBe("0.00027000");
    expect(csvField(csvNumber("-1.5"))).toBe("-1.5");
    // A "number" that is not one is text again, quoted and defused.
    expect(csvField(csvNumber("=1+1"))).toBe(`"'=1+1"`);
    expect(csvLine(["a", 1, null, "b"])).toBe('"a",1,,"b"\r\n');
  });

  it("security #13.8 CSV: a ';' locale cannot split an end_user value into a formula cell", () => {
    for (const value of HOSTILE) {
      // The value in every column position: a reader's state differs after the first field.
      for (const line of [csvLine([value, "x", 1]), csvLine(["first", value, 2]), csvLine([1, value])]) {
        for (const delimiter of [";", ","]) {
          for (const [name, parse] of [["start-quoted", startQuoted], ["toggling", toggling]] as const) {
            const cells = parse(line.replace(/\r\n$/, ""), delimiter);
            const bad = cells.filter((c) => TRIGGER.test(c));
            expect(bad, `${name} parse with '${delimiter}' of ${JSON.stringify(line)}`).toEqual([]);
          }
        }
      }
    }
  });

  it("still gives a comma-separated reader every value back, only defused", () => {
    for (const value of [...HOSTILE, 'say "hi", then\nleave', "plain", "a;b", "x;y=z"]) {
      const [cell, next] = startQuoted(csvLine([value, "next"]).replace(/\r\n$/, ""), ",");
      expect(next).toBe("next");
      // Only apostrophes were added: one at the start, one after each ';'.
      expect(cell!.replace(/'/g, "")).toBe(value.replace(/'/g, ""));
      expect(cell!.length - value.length).toBeLessThanOrEqual((value.match(/;/g)?.length ?? 0) + 1);
    }
  });
});
