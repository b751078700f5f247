import { describe, expect, it } from "vitest";
import { parseUpload } from "@/lib/evals/parse";

// Dataset uploads (issue 20 §3): CSV and JSONL, every row checked, errors named by line.

describe("dataset uploads", () => {
  it("issue 20 §3: CSV columns are variables, except expected and metadata; quoted fields keep commas, quotes and newlines", () => {
    const csv = 'question,context,expected,metadata\r\n"What is 2+2?","maths, easy",4,"{""tag"": ""m""}"\n"Say ""hi""","line one\nline two",,\n';
    const r = parseUpload("csv", csv);
    expect(r.errors).toEqual([]);
    expect(r.rows).toEqual([
      { variables: { question: "What is 2+2?", context: "maths, easy" }, expected: "4", metadata: { tag: "m" } },
      { variables: { question: 'Say "hi"', context: "line one\nline two" }, expected: null, metadata: {} },
    ]);
  });

  it("issue 20 §3: a CSV row with the wrong number of fields or bad metadata JSON is an error naming its line", () => {
    const r = parseUpload("csv", "q,expected,metadata\na,1,\nb,2\nc,3,{oops}\n");
    expect(r.errors).toEqual([
      { line: 3, message: "has 2 fields, the header 3" },
      { line: 4, message: "metadata: is not valid JSON" },
    ]);
  });

  it("issue 20 §3: a byte-order mark and a missing final newline are fine; an unclosed quote is an error", () => {
    expect(parseUpload("csv", "\ufeffq,expected\nx,y").rows).toEqual([{ variables: { q: "x" }, expected: "y", metadata: {} }]);
    expect(parseUpload("csv", 'q\n"open').errors[0]!.message).toMatch(/not closed/);
    expect(parseUpload("csv", "q,q\nx,y").errors[0]!.message).toMatch(/appears twice/);
  });

  it("issue 20 §3: JSONL rows are objects {variables, expected?, metadata?}; each bad line is reported, blank lines skipped", () => {
    const jsonl = ['{"variables": {"q": "a"}, "expected": "A"}', "", "not json", '["array"]', '{"variables": "nope"}', '{"variables": {"q": "b"}, "metadata": {"k": 1}}'].join("\n");
    const r = parseUpload("jsonl", jsonl);
    expect(r.rows).toEqual([
      { variables: { q: "a" }, expected: "A", metadata: {} },
      { variables: { q: "b" }, expected: null, metadata: { k: 1 } },
    ]);
    expect(r.errors.map((e) => e.line)).toEqual([3, 4, 5]);
    expect(r.errors[2]!.message).toMatch(/variables/);
  });

  it("issue 20 §3: an upload with no rows is an error", () => {
    expect(parseUpload("jsonl", "\n\n").errors).toEqual([{ line: 0, message: "the upload has no rows" }]);
    expect(parseUpload("csv", "q,expected\n").errors).toEqual([{ line: 0, message: "the upload has no rows" }]);
  });
});
