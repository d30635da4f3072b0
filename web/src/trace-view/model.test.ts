import { describe, expect, it } from 'vitest';
import type { FoldInput, Row } from './fold';
import { visibleRows } from './fold';
import { TraceModelBuilder } from './model';

const t = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
const step = (id: string, parent: string | null, name: string, ms: number): FoldInput => ({
  id, parent_id: parent, name, type: 'tool', status: 'ok', start_time: t(ms), end_time: t(ms + 1),
});
const label = (row: Row) => (row.kind === 'fold' ? `${row.group.name}×${row.group.members.length}` : row.node.obs.id);
const rows = (model: ReturnType<TraceModelBuilder<FoldInput>['snapshot']>) =>
  visibleRows(model.folded, new Set(), new Set()).map(label);

describe('TraceModelBuilder', () => {
  it('folds what later pages add into the snapshots it takes, leaving earlier ones as they were', () => {
    const builder = new TraceModelBuilder<FoldInput>(3);
    builder.add([step('r', null, 'agent', 0), step('s0', 'r', 'search', 1), step('s1', 'r', 'search', 2)]);
    const first = builder.snapshot();
    builder.add([step('s2', 'r', 'search', 3), step('late', 'missing', 'orphan', 4)]);
    const second = builder.snapshot();
    builder.add([step('missing', 'r', 'parent', 5)]);
    const third = builder.snapshot();
    expect(rows(first)).toEqual(['r', 's0', 's1']);
    expect(rows(second)).toEqual(['r', 'search×3', 'late']);
    expect(rows(third)).toEqual(['r', 'search×3', 'missing', 'late']);
    expect(third.tree.orphans).toBe(0);
    expect(rows(first)).toEqual(['r', 's0', 's1']);
  });
});
