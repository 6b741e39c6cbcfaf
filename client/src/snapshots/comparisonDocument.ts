/**
 * "Compare with Previous Snapshot" opens a read-only document (readOnlyDocuments.ts; language
 * `diff`, so added and removed lines take the theme's diff colours):
 *
 *     data/raw: sha256:1a2b3c4d… (raw.snapshot at 3f2a1b0) -> sha256:9f8e7d6c… (raw.snapshot (working tree))
 *     2 added, 1 removed, 1 modified, 120 unchanged
 *
 *     + new/part-7.csv  (1.20 KiB)
 *     - old.csv  (300 B)
 *     ~ train.csv  (10.0 KiB -> 12.0 KiB)
 */
import { formatBytes } from '../../../server/src/core/units';
import type { SnapshotComparison } from '../../../server/src/protocol';

/** The document's title: `data/raw (1a2b3c4d → 9f8e7d6c).diff`. */
export function comparisonTitle(name: string, c: SnapshotComparison): string {
  return `${name} (${c.a.id.slice(7, 15)} → ${c.b.id.slice(7, 15)}).diff`;
}

export function formatComparison(name: string, c: SnapshotComparison): string {
  const lines = [
    `${name}: ${c.a.id.slice(0, 15)}… (${c.a.label}) -> ${c.b.id.slice(0, 15)}… (${c.b.label})`,
    `${c.added.length} added, ${c.removed.length} removed, ${c.modified.length} modified, ${c.unchanged} unchanged; ${c.a.files} -> ${c.b.files} files, ${formatBytes(c.a.size)} -> ${formatBytes(c.b.size)}`,
    '',
    ...c.added.map((x) => `+ ${x.path}  (${formatBytes(x.size)})`),
    ...c.removed.map((x) => `- ${x.path}  (${formatBytes(x.size)})`),
    ...c.modified.map((x) => `~ ${x.path}  (${formatBytes(x.oldSize)} -> ${formatBytes(x.newSize)})`),
  ];
  if (c.added.length + c.removed.length + c.modified.length === 0) lines.push('The two snapshots hold the same files.');
  return `${lines.join('\n')}\n`;
}
