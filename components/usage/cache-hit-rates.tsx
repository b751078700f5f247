import { Card } from "@/components/ui/card";

type Row = { apiKeyId: string | null; keyName: string | null; model: string; hits: number; calls: number };

/** Response cache hit rate per API key and model over the last 24 h (server component). */
export function CacheHitRates({ rows }: { rows: Row[] }) {
  return (
    <Card title="Response cache, last 24 h" className="mt-6">
      {rows.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">No cache hits in the last 24 hours. Requests opt in with the header x-promptgate-cache: on.</p>
      ) : (
        <table className="w-full text-sm">
          <caption className="sr-only">Cache hits and hit rate per API key and model</caption>
          <thead>
            <tr className="text-left text-slate-600 dark:text-slate-400">
              <th scope="col" className="py-1 font-medium">API key</th>
              <th scope="col" className="py-1 font-medium">Model</th>
              <th scope="col" className="py-1 text-right font-medium">Hits</th>
              <th scope="col" className="py-1 text-right font-medium">Hit rate</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={`${r.apiKeyId ?? "none"}:${r.model}`} className="border-t border-slate-200 dark:border-slate-800">
                <td className="py-1">{r.keyName ?? "—"}</td>
                <td className="py-1 font-mono">{r.model}</td>
                <td className="py-1 text-right tabular-nums">{r.hits}</td>
                <td className="py-1 text-right tabular-nums">{r.calls ? `${((100 * r.hits) / r.calls).toFixed(1)}%` : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
