import Link from "next/link";
import type { PolicyView } from "@/lib/quota/schemas";
import { limitSummary } from "./quota-values";

/** A key's quota policies, for the API keys table. */
export function KeyPolicies({ keyId, policies }: { keyId: string; policies: PolicyView[] }) {
  if (policies.length === 0) return <span className="text-slate-600 dark:text-slate-400">none</span>;
  return (
    <ul className="space-y-0.5 text-xs">
      {policies.map((p) => (
        <li key={p.id} className={p.enabled ? "" : "text-slate-600 line-through dark:text-slate-400"} title={limitSummary(p)}>
          <Link href={`/quotas?key=${keyId}`} className="underline decoration-dotted underline-offset-2 hover:text-indigo-700 dark:hover:text-indigo-300">
            {p.name}
          </Link>
          {!p.apiKeyId && <span className="text-slate-600 dark:text-slate-400"> (every key)</span>}
        </li>
      ))}
    </ul>
  );
}
