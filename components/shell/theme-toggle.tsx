"use client";
import { useUiStore, type Theme } from "./ui-store";

const next: Record<Theme, Theme> = { system: "light", light: "dark", dark: "system" };

export function ThemeToggle() {
  const theme = useUiStore((s) => s.theme);
  const setTheme = useUiStore((s) => s.setTheme);
  return (
    <button
      type="button"
      onClick={() => setTheme(next[theme])}
      className="rounded-md px-2.5 py-1.5 text-sm text-slate-700 hover:bg-slate-100 dark:text-slate-200 dark:hover:bg-slate-800"
      title="Switch theme"
    >
      Theme: <span className="font-medium">{theme}</span>
    </button>
  );
}
