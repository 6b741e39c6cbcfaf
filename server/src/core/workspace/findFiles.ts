/** Finds pipeline, params and clusters files under directories (for the CLI and "Validate Workspace"). */
import * as fs from 'fs';
import * as path from 'path';
import { fileKind } from './workspaceFiles';

const SKIPPED_DIRS = new Set(['node_modules', '.git', '.mlops', '.vscode-e2e', 'out']);

export async function findWorkspaceFiles(target: string): Promise<string[]> {
  const found: string[] = [];
  const stat = await fs.promises.stat(target);
  if (stat.isFile()) return [path.resolve(target)];
  const queue = [path.resolve(target)];
  while (queue.length) {
    const dir = queue.shift() as string;
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(dir, { withFileTypes: true });
    } catch {
      continue; // unreadable directory: nothing of ours can be validated there
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, e.name);
      if (e.isDirectory() && !SKIPPED_DIRS.has(e.name)) queue.push(full);
      else if (e.isFile() && fileKind(full)) found.push(full);
    }
  }
  return found;
}
