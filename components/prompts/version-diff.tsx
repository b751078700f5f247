import type { MessageDiff, VersionDiff } from "@/lib/prompts/schemas";

// Side by side, word level: the left column shows the older text with removed
// words struck through, the right the newer text with added words marked.

const show = (v: unknown) => (v === null || v === undefined ? "—" : typeof v === "string" ? v : JSON.stringify(v));
const side = (v: number | "draft") => (v === "draft" ? "your draft" : `v${v}`);

function Side({ d, which }: { d: MessageDiff; which: "before" | "after" }) {
  const msg = which === "before" ? d.before : d.after;
  if (!msg) return <div className="rounded-md border border-dashed border-slate-300 p-3 text-sm italic text-slate-600 dark:border-slate-700 dark:text-slate-400">(no message)</div>;
  return (
    <div className="rounded-md border border-slate-200 p-3 dark:border-slate-800">
      <div className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">
        {msg.role}
        {d.roleChanged && <span className="ml-2 normal-case text-amber-800 dark:text-amber-300">(role changed)</span>}
      </div>
      <p className="whitespace-pre-wrap break-words font-mono text-sm">
        {d.parts.map((p, i) => {
          if (which === "before" && p.added) return null;
          if (which === "after" && p.removed) return null;
          if (p.removed) return <del key={i} className="rounded bg-red-100 text-red-900 decoration-red-700 dark:bg-red-950 dark:text-red-200">{p.value}</del>;
          if (p.added) return <ins key={i} className="rounded bg-emerald-100 text-emerald-900 no-underline dark:bg-emerald-950 dark:text-emerald-200">{p.value}</ins>;
          return <span key={i}>{p.value}</span>;
        })}
      </p>
    </div>
  );
}

export function VersionDiffView({ diff }: { diff: VersionDiff }) {
  const changed = diff.messages.filter((m) => m.status !== "unchanged").length;
  return (
    <div data-testid="version-diff" className="space-y-6">
      <p className="text-sm text-slate-700 dark:text-slate-300">
        {changed === 0 && diff.config.length === 0 && diff.variables.length === 0
          ? "No differences."
          : `${changed} message(s), ${diff.config.length} config field(s) and ${diff.variables.length} variable(s) differ.`}
        {diff.typeChanged && " The prompt type changed."}
      </p>
      <section aria-label="Messages">
        <div className="mb-2 grid grid-cols-2 gap-3 text-sm font-semibold">
          <h3>{side(diff.from)}</h3>
          <h3>{side(diff.to)}</h3>
        </div>
        <ol className="space-y-3">
          {diff.messages.map((m) => (
            <li key={m.index} aria-label={`Message ${m.index + 1}: ${m.status}`} className="grid grid-cols-2 gap-3">
              <Side d={m} which="before" />
              <Side d={m} which="after" />
            </li>
          ))}
        </ol>
      </section>
      <section aria-labelledby="diff-config">
        <h3 id="diff-config" className="mb-2 text-sm font-semibold">Model config changes</h3>
        {diff.config.length === 0 ? (
          <p className="text-sm text-slate-600 dark:text-slate-400">None.</p>
        ) : (
          <ul className="space-y-1 text-sm">
            {diff.config.map((c) => (
              <li key={c.field}>
                <code className="font-mono">{c.field}</code>: <del className="text-red-800 dark:text-red-300">{show(c.before)}</del> →{" "}
                <ins className="text-emerald-800 no-underline dark:text-emerald-300">{show(c.after)}</ins>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="diff-vars">
        <h3 id="diff-vars" className="mb-2 text-sm font-semibold">Variable changes</h3>
        {diff.variables.length === 0 ? (
          <p className="text-sm text-slate-600 dark:text-slate-400">None.</p>
        ) : (
          <ul className="space-y-1 text-sm">
            {diff.variables.map((v) => (
              <li key={v.name}>
                <code className="font-mono">{v.name}</code> {v.status}
                {v.changes.length > 0 && `: ${v.changes.map((c) => `${c.field} ${show(c.before)} → ${show(c.after)}`).join("; ")}`}
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
