import "server-only";
import { db, Prisma, type DbClient } from "@/lib/db";
import { TEST_EVENT, type EventType } from "./types";

export { EVENT_TYPES, TEST_EVENT, eventDescriptions, type EventType } from "./types";

export type DomainEvent = {
  /** An EVENT_TYPES entry; TEST_EVENT only from lib/webhooks' test send. */
  type: EventType | typeof TEST_EVENT;
  /** null for what the instance owns (accounts). */
  workspaceId: string | null;
  /** The event's own fields; the delivered body wraps them with id, type and timestamp. */
  data: Record<string, unknown>;
};

/**
 * Appends an event to the outbox. Pass the transaction of the change the event describes: both
 * commit or neither does, so an event is never told without its change, nor lost after it. The
 * insert wakes the delivery workers when it commits (trigger OutboxEvent_notify).
 */
export async function recordEvent(event: DomainEvent, client: DbClient = db): Promise<string> {
  const row = await client.outboxEvent.create({
    data: { type: event.type, workspaceId: event.workspaceId, data: JSON.parse(JSON.stringify(event.data)) as Prisma.InputJsonValue },
    select: { id: true },
  });
  return row.id;
}
