import type { Metadata } from "next";
import { headers } from "next/headers";
import "./globals.css";
import { Providers } from "./providers";

export const metadata: Metadata = {
  title: { default: "Promptgate", template: "%s · Promptgate" },
  description: "Self-hosted LLM gateway and prompt operations console",
};

// Every page is rendered per request: the CSP nonce and the session both differ each time.
export const dynamic = "force-dynamic";

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const nonce = (await headers()).get("x-nonce") ?? undefined;
  return (
    <html lang="en" suppressHydrationWarning>
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
        <Providers nonce={nonce}>{children}</Providers>
      </body>
    </html>
  );
}
