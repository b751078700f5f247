export function formatDateTime(d: Date | string | null | undefined): string {
  if (!d) return "—";
  const date = typeof d === "string" ? new Date(d) : d;
  return date.toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

/** A list typed into one field, separated by commas or whitespace: "gpt-4o, gpt-4o-mini  o1*" → ["gpt-4o", "gpt-4o-mini", "o1*"]. */
export function splitList(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}
