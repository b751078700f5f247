import "server-only";

// Model-name matching shared by candidate selection and the per-model settings.

const compiled = new Map<string, RegExp>();

/** Glob match where `*` is any run of characters; everything else is literal. */
export function modelMatches(pattern: string, model: string): boolean {
  if (!pattern.includes("*")) return pattern === model;
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
    if (compiled.size > 5000) compiled.clear();
    compiled.set(pattern, re);
  }
  return re.test(model);
}
