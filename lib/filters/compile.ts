import "server-only";
import { piiDetector, type Detector } from "./detectors";
import { isNoopFilter, type FilterConfig } from "./schemas";
import { maskAll, StreamMasker, type MaskResult } from "./stream-masker";
import { termsDetector, type Term } from "./terms";

/** A filter ready for the hot path: detectors built once per configuration. */
export type CompiledFilter = {
  config: FilterConfig;
  /** Empty when the filter only splits segments. */
  detectors: Detector[];
  replacement: string;
  /** The most characters a stream is ever held back (longest pattern - 1). */
  maxHold: number;
  masker(): StreamMasker | null;
  mask(text: string): MaskResult;
};

/** Several configurations (the key's, the prompt's) as one: union of terms and detectors, strictest request mode. */
export function mergeConfigs(configs: (FilterConfig | null | undefined)[]): FilterConfig | null {
  const present = configs.filter((c): c is FilterConfig => !!c && !(isNoopFilter(c) && c.request === "off"));
  if (present.length === 0) return null;
  if (present.length === 1) return present[0]!;
  const rank = { off: 0, mask: 1, block: 2 } as const;
  return {
    terms: present.flatMap((c) => c.terms),
    wholeWord: present[0]!.wholeWord,
    replacement: present[0]!.replacement,
    pii: [...new Set(present.flatMap((c) => c.pii))],
    request: present.reduce<FilterConfig["request"]>((a, c) => (rank[c.request] > rank[a] ? c.request : a), "off"),
    segments: present.some((c) => c.segments),
  };
}

function compileOne(config: FilterConfig, terms: Term[]): CompiledFilter | null {
  if (isNoopFilter(config)) return null;
  const detectors: Detector[] = [];
  const t = termsDetector(terms);
  if (t) detectors.push(t);
  for (const p of config.pii) detectors.push(piiDetector(p));
  const replacement = config.replacement;
  return {
    config,
    detectors,
    replacement,
    maxHold: Math.max(0, ...detectors.map((d) => d.maxLen - 1)),
    masker: () => (detectors.length ? new StreamMasker(detectors, replacement) : null),
    mask: (text) => (detectors.length ? maskAll(detectors, replacement, text) : { text, matches: 0, kinds: new Set() }),
  };
}

export function compileFilter(config: FilterConfig): CompiledFilter | null {
  return compileOne(config, config.terms.map((text) => ({ text, wholeWord: config.wholeWord })));
}

/** Compiles merged configurations, keeping each one's whole-word setting for its own terms. */
export function compileMerged(configs: (FilterConfig | null | undefined)[]): CompiledFilter | null {
  const merged = mergeConfigs(configs);
  if (!merged) return null;
  const terms = configs.flatMap((c) => (c ? c.terms.map((text) => ({ text, wholeWord: c.wholeWord })) : []));
  return compileOne(merged, terms);
}
