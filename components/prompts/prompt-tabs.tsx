"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";

export function PromptTabs({ name }: { name: string }) {
  const path = usePathname();
  const tabs = [
    { href: `/prompts/${name}`, label: "Editor" },
    { href: `/prompts/${name}/history`, label: "History & labels" },
    { href: `/prompts/${name}/diff`, label: "Compare versions" },
    { href: `/prompts/${name}/compare`, label: "Side by side" },
    { href: `/prompts/${name}/settings`, label: "Settings" },
  ];
  return (
    <nav aria-label="Prompt sections" className="mb-4 border-b border-slate-200 dark:border-slate-800">
      <ul className="-mb-px flex flex-wrap gap-1">
        {tabs.map((t) => {
          const active = path === t.href;
          return (
            <li key={t.href}>
              <Link
                href={t.href}
                aria-current={active ? "page" : undefined}
                className={`inline-block border-b-2 px-3 py-2 text-sm font-medium ${
                  active ? "border-indigo-600 text-indigo-800 dark:text-indigo-200" : "border-transparent text-slate-700 hover:border-slate-300 dark:text-slate-300"
                }`}
              >
                {t.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
