import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileFilter, filterConfig, type FilterConfigInput } from "@/lib/filters";

const compile = (c: FilterConfigInput) => {
  const f = compileFilter(filterConfig.parse(c));
  if (!f) throw new Error("expected a filter");
  return f;
};

function streamed(c: FilterConfigInput, pieces: string[]) {
  const m = compile(c).masker()!;
  let out = "";
  const holds: number[] = [];
  for (const p of pieces) {
    out += m.push(p);
    holds.push(m.held);
  }
  return { out: out + m.end(), holds, maxHold: m.maxHold };
}

const whole = (c: FilterConfigInput, text: string) => compile(c).mask(text).text;

describe("sensitive terms", () => {
  it("masks a term case-insensitively with the replacement character, keeping its length", () => {
    expect(whole({ terms: ["Project Falcon"], replacement: "#" }, "we launch PROJECT falcon today")).toBe("we launch ############## today");
  });

  it("masks a term inside longer words unless whole-word is set", () => {
    expect(whole({ terms: ["cat"] }, "concatenate the cat")).toBe("con***enate the ***");
    expect(whole({ terms: ["cat"], wholeWord: true }, "concatenate the cat, Cat.")).toBe("concatenate the ***, ***.");
  });

  it("prefers the leftmost, then the longest, of overlapping terms", () => {
    expect(whole({ terms: ["abc", "abcdef", "cde"] }, "xxabcdefyy")).toBe("xx******yy");
    expect(whole({ terms: ["bcd", "abcdz"] }, "abcde")).toBe("a***e");
  });

  it("masks a term split across three chunks", () => {
    const r = streamed({ terms: ["supersecret"] }, ["the super", "sec", "ret plan"]);
    expect(r.out).toBe("the *********** plan");
  });

  it("holds back only a possible prefix of a term, and nothing after plain text", () => {
    const m = compile({ terms: ["password123"] }).masker()!;
    expect(m.push("my pass")).toBe("my ");
    expect(m.held).toBe(4);
    expect(m.push("port is fine ")).toBe("passport is fine ");
    expect(m.held).toBe(0);
  });

  it("waits for the character after a whole-word term before deciding", () => {
    const m = compile({ terms: ["cat"], wholeWord: true }).masker()!;
    expect(m.push("the cat")).toBe("the ");
    expect(m.push("alog")).toBe("catalog");
    expect(m.push(" and cat")).toBe(" and ");
    expect(m.push("!")).toBe("***!");
  });
});

describe("PII detectors", () => {
  const pii = (name: string, text: string) => whole({ pii: [name as never] }, text);

  it("masks email addresses", () => {
    expect(pii("email", "mail ana.m+x@mail.example.co.uk now")).toBe(`mail ${"*".repeat(26)} now`);
    expect(pii("email", "no @ here, a@b")).toBe("no @ here, a@b");
  });

  it("masks phone numbers in common formats but not short numbers", () => {
    expect(pii("phone", "call +1 415 555 0132 or (415) 555-0132.")).toBe("call *************** or **************.");
    expect(pii("phone", "I have 42 cats and 7 dogs in 2024")).toBe("I have 42 cats and 7 dogs in 2024");
  });

  it("masks only Luhn-valid card numbers", () => {
    expect(pii("credit_card", "card 4111 1111 1111 1111 ok")).toBe("card ******************* ok");
    expect(pii("credit_card", "card 4111 1111 1111 1112 ok")).toBe("card 4111 1111 1111 1112 ok");
    expect(pii("credit_card", "5500-0000-0000-0004")).toBe("*******************");
  });

  it("masks only IBANs whose checksum is right", () => {
    expect(pii("iban", "to DE89 3704 0044 0532 0130 00 thanks")).toBe("to *************************** thanks");
    expect(pii("iban", "GB82WEST12345698765432")).toBe("**********************");
    expect(pii("iban", "DE00 3704 0044 0532 0130 00")).toBe("DE00 3704 0044 0532 0130 00");
  });

  it("masks IPv4 addresses but not out-of-range quads or longer dotted numbers", () => {
    expect(pii("ipv4", "host 10.0.12.255 up")).toBe("host *********** up");
    expect(pii("ipv4", "v 300.1.1.1 and 1.2.3.4.5")).toBe("v 300.1.1.1 and 1.2.3.4.5");
  });

  it("masks API-key-like secrets", () => {
    const text = "use sk-proj-abcdefghijklmnopqrstuvwx and AKIAIOSFODNN7EXAMPLE and pgk_" + "A".repeat(40);
    expect(pii("api_key", text)).toBe(`use ${"*".repeat(32)} and ${"*".repeat(20)} and ${"*".repeat(44)}`);
    expect(pii("api_key", "a sk-short word")).toBe("a sk-short word");
  });

  it("masks an email split mid-address across chunks", () => {
    const r = streamed({ pii: ["email"] }, ["write to jo", "hn.doe@exa", "mple.com", " today"]);
    expect(r.out).toBe("write to ******************** today");
  });
});

// ---------------------------------------------------------------- property

const alphabet = "abcSECRETsecret cat@x.io.-+1234567890() DE89ABC\n`-".split("");
const pieceText = fc.array(
  fc.oneof(
    fc.constantFrom(...alphabet),
    fc.constantFrom("secret", "cat", "concat", "top secret", "ana@mail.example.com", "+1 415 555 0132", "4111 1111 1111 1111", "DE89 3704 0044 0532 0130 00", "192.168.0.1", "1.2.3.4.5", "sk-abcdefghijklmnop1234", "```", "---\n", "Ünïcödé", "😀"),
  ),
  { maxLength: 60 },
).map((parts) => parts.join(""));

const configArb = fc.record({
  terms: fc.subarray(["secret", "top secret", "cat", "SECRET plan", "ab", "e"], { minLength: 0 }),
  wholeWord: fc.boolean(),
  pii: fc.subarray(["email", "phone", "credit_card", "iban", "ipv4", "api_key"] as const),
  replacement: fc.constantFrom("*", "#", "█"),
}).filter((c) => c.terms.length + c.pii.length > 0);

function chunk(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(text.slice(prev, p));
    prev = p;
  }
  out.push(text.slice(prev));
  return out;
}

describe("streaming equals whole-text filtering", () => {
  it("gives the same output for random texts under random chunkings, never holding back more than the longest pattern - 1", () => {
    fc.assert(
      fc.property(configArb, pieceText, fc.array(fc.nat(), { maxLength: 40 }), (config, text, cuts) => {
        const expected = whole(config, text);
        const r = streamed(config, chunk(text, cuts));
        expect(r.out).toBe(expected);
        for (const h of r.holds) expect(h).toBeLessThanOrEqual(r.maxHold);
      }),
      { numRuns: 3000 },
    );
  });

  it("also holds one character at a time (the worst chunking)", () => {
    fc.assert(
      fc.property(configArb, pieceText, (config, text) => {
        expect(streamed(config, Array.from(text)).out).toBe(whole(config, text));
      }),
      { numRuns: 500 },
    );
  });
});
