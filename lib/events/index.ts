import "server-only";
import { db, Prisma, type DbClient } from "@/lib/db";

/** Every event type the outbox carries; webhook endpoints subscribe to a subset. */
export const EVENT_TYPES = [
  "budget.threshold",
  "budget.exhausted",
  "account.circuit_opened",
  "account.circuit_closed",
  "experiment.started",
  "experiment.completed",
  "prompt.version_created",
  "prompt.label_moved",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export type DomainEvent = {
  type: EventType;
  /** null for what the instance owns (accounts). */
  workspaceId: string | null;
  /** The event's own fields; the delivered body wraps them with id, type and timestamp. */
  data: Record<string, unknown>;
};

/**
 * Appends an event to the outbox. Pass the transaction of the change the event describes: both
 * commit or neither does, so an event is never told without its change, nor lost after it.
 */
export async function recordEvent(event: DomainEvent, client: DbClient = db): Promise<string> {
  const row = await client.outboxEvent.create({
    data: { type: event.type, workspaceId: event.workspaceId, data: JSON.parse(JSON.stringify(event.data)) as Prisma.InputJsonValue },
    select: { id: true },
  });
  return row.id;
}
