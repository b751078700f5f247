"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect } from "react";
import { hasRole, type Role } from "@/lib/core/types";
import { navItems } from "./nav";
import { useUiStore } from "./ui-store";

export function Sidebar({ role, instanceAdmin = false }: { role: Role; instanceAdmin?: boolean }) {
  const pathname = usePathname();
  const open = useUiStore((s) => s.sidebarOpen);
  const close = useUiStore((s) => s.closeSidebar);
  useEffect(() => close(), [pathname, close]);

  const items = navItems.filter((i) => hasRole(role, i.minRole) && (!i.instance || instanceAdmin));
  return (
    <nav
      id="sidebar"
      aria-label="Console"
      className={`${open ? "block" : "hidden"} fixed inset-y-0 left-0 z-30 w-56 border-r border-slate-200 bg-white pt-14 md:static md:block md:pt-0 dark:border-slate-800 dark:bg-slate-900`}
    >
      <div className="hidden h-14 items-center px-4 text-lg font-semibold tracking-tight md:flex">
        <span aria-hidden className="mr-2 inline-block h-3 w-3 rounded-sm bg-indigo-600" />
        Promptgate
      </div>
      <ul className="space-y-0.5 px-2 py-2">
        {items.map((item) => {
          const active = item.href === "/" ? pathname === "/" : pathname === item.href || pathname.startsWith(`${item.href}/`);
          return (
            <li key={item.href}>
              <Link
                href={item.href}
                aria-current={active ? "page" : undefined}
                className={`block rounded-md px-3 py-2 text-sm font-medium ${
                  active
                    ? "bg-indigo-50 text-indigo-800 dark:bg-indigo-950 dark:text-indigo-100"
                    : "text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"
                }`}
              >
                {item.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

export function SidebarToggle() {
  const toggle = useUiStore((s) => s.toggleSidebar);
  const open = useUiStore((s) => s.sidebarOpen);
  return (
    <button
      type="button"
      onClick={toggle}
      aria-controls="sidebar"
      aria-expanded={open}
      className="rounded-md p-2 text-slate-700 hover:bg-slate-100 md:hidden dark:text-slate-200 dark:hover:bg-slate-800"
    >
      <span className="sr-only">Toggle navigation</span>
      <svg aria-hidden width="20" height="20" viewBox="0 0 20 20" fill="currentColor">
        <path d="M3 5h14v2H3zM3 9h14v2H3zM3 13h14v2H3z" />
      </svg>
    </button>
  );
}
