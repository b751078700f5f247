"use client";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback, useMemo } from "react";
import { parseView, viewToSearch, type UsageView } from "@/lib/usage/schemas";

/** The Usage page's view lives in the URL, so every view can be bookmarked and shared. */
export function useUsageView(): { view: UsageView; search: string; setView: (v: UsageView) => void } {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const view = useMemo(() => parseView(new URLSearchParams(params.toString())), [params]);
  const search = useMemo(() => viewToSearch(view), [view]);
  const setView = useCallback(
    (v: UsageView) => {
      const q = viewToSearch(v);
      router.replace(q ? `${pathname}?${q}` : pathname, { scroll: false });
    },
    [router, pathname],
  );
  return { view, search, setView };
}
