/**
 * Audit entries of the snapshot and cache operations (snapshot, checkout, gc, push, pull), taken by
 * the CLI and by runs and reproductions that snapshot or restore their data.
 *
 * A snapshot is files (cache objects and a pointer file), not rows: its entry cannot share a
 * transaction with the change. It is appended right after the write it records has succeeded, so
 * a failed operation records nothing; a process killed between the two leaves the files without
 * their entry (the pointer file's git history is the other record of what was snapshotted).
 */
import * as path from 'path';
import type { CheckoutResult } from '../snapshots/checkout';
import { relativeInside } from '../snapshots/paths';
import type { SnapshotResult } from '../snapshots/snapshot';
import type { Store } from '../store/store';
import { appendAudit, AuditEntryInput } from './auditLog';

/** Appends `entry` in a transaction of its own: for changes made to files, just after them. */
export function auditAfterWrite(store: Store, entry: AuditEntryInput): void {
  store.transaction((db) => appendAudit(db, entry));
}

/** `snapshot.create` of the data path `r` snapshotted, once its pointer file is written. */
export function snapshotCreated(root: string, actor: string, r: SnapshotResult, message?: string): AuditEntryInput {
  const data = dataEntity(root, r.pointerFile.slice(0, -'.snapshot'.length));
  return {
    actor, action: 'snapshot.create', entity: `snapshot:${data}`,
    details: { id: r.id, files: r.files, size: r.size, message: message ?? null, pointer: `${data}.snapshot` },
  };
}

/** `snapshot.checkout` of the data `r` restored; `why` says on whose behalf when it is not the user's command (a reproduction). */
export function snapshotCheckedOut(root: string, actor: string, r: CheckoutResult, why?: string): AuditEntryInput {
  return {
    actor, action: 'snapshot.checkout', entity: `snapshot:${dataEntity(root, r.path)}`,
    details: { id: r.id, written: r.written, removed: r.removed, unchanged: r.unchanged, modesChanged: r.modesChanged, ...(why && { why }) },
  };
}

/** A checkout changed files (one that found everything in place is not a change). */
export function checkoutChanged(r: CheckoutResult): boolean {
  return r.written + r.removed + r.modesChanged > 0;
}

function dataEntity(root: string, abs: string): string {
  return relativeInside(path.resolve(root), abs) ?? abs;
}
