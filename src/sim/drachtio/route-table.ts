/**
 * drachtio-server's routing of new out-of-dialog requests: a multimap verb → connections in
 * registration order (never de-duplicated), and per verb an offset that advances on every pick,
 * wrapping to 0 once it runs past the list. That is the round robin across connected apps.
 */
import type { AppConnection } from './sim-records.js';

export class RouteTable {
  private readonly entries = new Map<string, AppConnection[]>();
  private readonly offsets = new Map<string, number>();

  add(verb: string, connection: AppConnection): void {
    this.entries.set(verb, [...(this.entries.get(verb) ?? []), connection]);
  }

  /** Every entry of this connection, whatever the verb (also what `remove_route` does). */
  removeConnection(connection: AppConnection): void {
    for (const [verb, list] of this.entries) this.entries.set(verb, list.filter((c) => c !== connection));
  }

  list(verb: string): AppConnection[] {
    return [...(this.entries.get(verb) ?? [])];
  }

  pick(verb: string): AppConnection | undefined {
    const candidates = this.entries.get(verb) ?? [];
    if (candidates.length === 0) return undefined;
    const stored = this.offsets.get(verb) ?? 0;
    const offset = stored < candidates.length ? stored : 0;
    this.offsets.set(verb, offset + 1);
    return candidates[offset];
  }
}
