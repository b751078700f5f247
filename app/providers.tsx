"use client";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { z } from "zod";
import { useUiStore } from "@/components/shell/ui-store";

// zod 4 probes `Function("")` on its first object parse to decide whether to
// compile parsers; under our nonce CSP (no 'unsafe-eval') the probe fails
// harmlessly but is reported as a CSP violation on every page that validates a
// form. Telling zod up front not to compile skips the probe.
z.config({ jitless: true });

function ThemeSync() {
  const theme = useUiStore((s) => s.theme);
  useEffect(() => {
    const dark = theme === "dark" || (theme === "system" && window.matchMedia("(prefers-color-scheme: dark)").matches);
    document.documentElement.classList.toggle("dark", dark);
  }, [theme]);
  return null;
}

export function Providers({ children }: { children: React.ReactNode; nonce?: string }) {
  const [client] = useState(() => new QueryClient({ defaultOptions: { queries: { staleTime: 15_000, refetchOnWindowFocus: false } } }));
  return (
    <QueryClientProvider client={client}>
      <ThemeSync />
      {children}
    </QueryClientProvider>
  );
}
