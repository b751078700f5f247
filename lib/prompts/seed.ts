import "server-only";
import { db } from "@/lib/db";
import { workspaceOf, type Principal } from "@/lib/core";
import { createPrompt, createPromptVersion, moveLabel } from "./store";
import type { PromptContentInput } from "./schemas";

// The demo prompt of a fresh install: two versions, production on version 2,
// served by the built-in simulator so /api/completion works out of the box.

export const DEMO_PROMPT = "support-reply";

const variables: PromptContentInput["variables"] = [
  { name: "customer_name", type: "string", required: true, description: "How to address the customer" },
  { name: "question", type: "string", required: true, description: "The customer's message" },
  { name: "product", type: "enum", required: false, values: ["Promptgate", "Promptgate Cloud"], default: "Promptgate", description: "" },
];

export async function seedDemoPrompt(actor: Principal): Promise<boolean> {
  if (await db.prompt.count({ where: { name: DEMO_PROMPT, workspaceId: workspaceOf(actor) } })) return false;
  await createPrompt(actor, {
    name: DEMO_PROMPT,
    description: "Answers a customer's support question (demo).",
    tags: ["demo", "support"],
    commitMessage: "First draft",
    type: "chat",
    messages: [
      { role: "system", content: "You are a support agent for {{product}}. Answer briefly." },
      { role: "user", content: "{{question}}" },
    ],
    variables,
    config: { model: "sim-small", temperature: 0.7, max_tokens: 200 },
  });
  await createPromptVersion(actor, DEMO_PROMPT, {
    commitMessage: "Greet the customer by name and keep a friendly tone",
    baseVersion: 1,
    type: "chat",
    messages: [
      { role: "system", content: "You are a friendly support agent for {{product}}. Greet {{customer_name}} by name, then answer briefly and clearly." },
      { role: "user", content: "{{question}}" },
    ],
    variables,
    config: { model: "sim-small", temperature: 0.3, max_tokens: 200 },
  });
  await moveLabel(actor, DEMO_PROMPT, "production", { version: 2 });
  return true;
}
