// Number formatting for the results page. Values can arrive as null (JSON has no NaN).

export const isNum = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

export function pct(x: number | null | undefined, digits = 1): string {
  return isNum(x) ? `${(x * 100).toFixed(digits)}%` : "—";
}

export function signedPct(x: number | null | undefined, digits = 1): string {
  return isNum(x) ? `${x > 0 ? "+" : x < 0 ? "−" : "±"}${Math.abs(x * 100).toFixed(digits)}%` : "—";
}

/** A difference of rates in percentage points. */
export function pts(x: number | null | undefined, digits = 1): string {
  return isNum(x) ? `${x > 0 ? "+" : x < 0 ? "−" : "±"}${Math.abs(x * 100).toFixed(digits)} pts` : "—";
}

export function num(x: number | null | undefined, digits = 2): string {
  return isNum(x) ? x.toFixed(digits) : "—";
}

export function signed(x: number | null | undefined, digits = 3): string {
  return isNum(x) ? `${x > 0 ? "+" : x < 0 ? "−" : "±"}${Math.abs(x).toFixed(digits)}` : "—";
}

export function pValue(p: number | null | undefined): string {
  if (!isNum(p)) return "—";
  if (p < 0.0001) return "< 0.0001";
  return p.toFixed(4);
}

export function ms(x: number | null | undefined): string {
  return isNum(x) ? `${Math.round(x).toLocaleString("en-US")} ms` : "—";
}

export function usd(x: number | null | undefined): string {
  if (!isNum(x)) return "—";
  return x === 0 ? "$0" : x < 0.01 ? `$${x.toFixed(6)}` : `$${x.toFixed(4)}`;
}

export function count(x: number | null | undefined): string {
  return isNum(x) ? Math.round(x).toLocaleString("en-US") : "—";
}

/** A metric value: a rate as a percentage, a mean as a number. */
export function metricValue(x: number | null | undefined, kind: "binary" | "continuous"): string {
  return kind === "binary" ? pct(x) : num(x);
}

export function interval(lo: number | null | undefined, hi: number | null | undefined, kind: "binary" | "continuous" | "lift" | "diff" | "pts"): string {
  if (!isNum(lo) || !isNum(hi)) return "CI —";
  const f =
    kind === "binary" ? (v: number) => pct(v) : kind === "lift" ? (v: number) => signedPct(v) : kind === "diff" ? (v: number) => signed(v) : kind === "pts" ? (v: number) => pts(v) : (v: number) => num(v);
  return `${f(lo)} to ${f(hi)}`;
}

export const VARIANT_COLORS = ["#4f46e5", "#d97706", "#059669", "#db2777", "#0891b2", "#7c3aed", "#65a30d", "#dc2626"];
