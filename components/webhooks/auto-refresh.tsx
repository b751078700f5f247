"use client";
import { useRouter } from "next/navigation";
import { useEffect } from "react";

/** Re-reads the server page every `ms` while `active` (deliveries still pending), so the log fills in by itself. */
export function AutoRefresh({ active, ms = 2000 }: { active: boolean; ms?: number }) {
  const router = useRouter();
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => router.refresh(), ms);
    return () => clearInterval(t);
  }, [active, ms, router]);
  return null;
}
