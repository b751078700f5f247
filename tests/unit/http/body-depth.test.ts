import { describe, expect, it } from "vitest";
import { AppError, errorBody } from "@/lib/core";
import { readJsonBody } from "@/lib/http/body";

// Faults #14.2: JSON.parse takes any nesting, but later recursive code (the
// simulator's and the upstream adapters' JSON.stringify, zod, the storable
// cleaner) ran out of stack on a passed-through field 5,000 levels deep and
// answered 500. Bodies now stop at 64 levels, refused as the client's mistake.

const read = (body: string) =>
  readJsonBody(new Request("http://localhost/api/v1/chat/completions", { method: "POST", body, headers: { "content-type": "application/json" } }), 2_000_000);

const nest = (depth: number, kind: "array" | "object") =>
  kind === "array" ? "[".repeat(depth) + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);

async function refusal(body: string): Promise<AppError> {
  const err = await read(body).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

const chat = (fields: string, message = "") =>
  `{"model":"m","messages":[{"role":"user","content":"hi"${message}}]${fields}}`;

// Where each passed-through field sits, and the param the refusal names.
const fields: [string, (n: string) => string, string][] = [
  ["an unknown top-level field", (n) => chat(`,"extra":${n}`), "extra"],
  ["an unknown field in a message", (n) => chat("", `,"extra":${n}`), "messages.0.extra"],
  ["a content part", (n) => `{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"hi","x":${n}}]}]}`, "messages.0.content.0.x"],
  ["metadata", (n) => chat(`,"metadata":{"k":${n}}`), "metadata.k"],
  ["function parameters", (n) => chat(`,"tools":[{"type":"function","function":{"name":"f","parameters":${n}}}]`), "tools.0.function.parameters"],
  ["a json_schema response format", (n) => chat(`,"response_format":{"type":"json_schema","json_schema":{"name":"s","schema":${n}}}`), "response_format.json_schema.schema"],
  ["completion variables", (n) => `{"prompt":"p","variables":{"v":${n}}}`, "variables.v"],
  ["completion overrides", (n) => `{"prompt":"p","overrides":{"extra":${n}}}`, "overrides.extra"],
];

describe("JSON body depth", () => {
  for (const [what, body, param] of fields) {
    for (const depth of [5_000, 100_000]) {
      for (const kind of ["array", "object"] as const) {
        it(`faults #14.2: ${depth.toLocaleString("en")} levels of ${kind}s in ${what} are a 400 naming '${param}'`, async () => {
          const err = await refusal(body(nest(depth, kind)));
          expect(err.status).toBe(400);
          expect(err.details.param).toBe(param);
          expect(err.message).toContain(param);
          expect(err.message).toContain("64");
          expect(errorBody(err, "openai")).toMatchObject({ error: { type: "invalid_request_error", param } });
          expect(errorBody(err, "default")).toMatchObject({ error: { param } });
        });
      }
    }
  }

  it("faults #14.2: 64 levels are accepted and 65 refused", async () => {
    // The root object is level 1.
    await expect(read(`{"a":${nest(63, "array")}}`)).resolves.toBeTruthy();
    const err = await refusal(`{"a":${nest(64, "array")}}`);
    expect(err.details.param).toBe("a");
    await expect(read(nest(64, "object"))).resolves.toBeTruthy();
    expect((await refusal(nest(65, "object"))).status).toBe(400);
    // A bare array at the root has no field to name.
    expect((await refusal(nest(65, "array"))).details.param ?? null).toBeNull();
  });

  it("faults #14.2: wide bodies are not deep: 50,000 sibling objects pass", async () => {
    const wide = `{"messages":[${Array.from({ length: 50_000 }, () => '{"role":"user","content":"x"}').join(",")}]}`;
    await expect(read(wide)).resolves.toBeTruthy();
  });
});
