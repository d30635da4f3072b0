// Live updates of the trace list. Pure.

// A polled first page merged into the list shown: traces not yet shown go on top (newest
// first, as the API sent them), those shown are updated in place (a trace still receiving spans
// changes), and nothing is removed, so rows never jump away under the reader.
export function mergeNewest<T extends { id: string }>(shown: readonly T[], fresh: readonly T[]): { list: T[]; added: number } {
  const freshById = new Map(fresh.map((t) => [t.id, t]));
  const shownIds = new Set(shown.map((t) => t.id));
  const added = fresh.filter((t) => !shownIds.has(t.id));
  return { list: [...added, ...shown.map((t) => freshById.get(t.id) ?? t)], added: added.length };
}
