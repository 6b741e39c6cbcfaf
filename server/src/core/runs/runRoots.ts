/**
 * What runs keep alive in the cache (a gc root provider, see snapshots/gc.ts): the data snapshots
 * each run recorded and every artifact it produced, so that `mlops reproduce` and the registry can
 * still find them after the pointer files have moved on.
 */
import type { RootProvider, SnapshotRoot } from '../snapshots/gc';
import type { Store } from '../store/store';

export function runRoots(store: Store): RootProvider {
  return {
    name: 'runs',
    roots(): SnapshotRoot[] {
      const out: SnapshotRoot[] = [];
      for (const r of store.db.prepare('SELECT id, data FROM runs').all() as { id: string; data: string }[]) {
        for (const [name, id] of Object.entries(JSON.parse(r.data) as Record<string, string>)) {
          if (id.startsWith('sha256:')) out.push({ sha256: id.slice(7), source: `run ${r.id} (data ${name})` });
        }
      }
      for (const a of store.db.prepare('SELECT run_id, path, sha256 FROM artifacts').all() as { run_id: string; path: string; sha256: string }[]) {
        out.push({ sha256: a.sha256, source: `run ${a.run_id} (artifact ${a.path})`, type: 'file' });
      }
      return out;
    },
  };
}
