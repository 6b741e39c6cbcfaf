import * as vscode from 'vscode';

/**
 * Who acts, sent with every request that changes something (ActorParams): the `mlops.user`
 * setting, else undefined and the CLI decides (MLOPS_USER, git user.email).
 */
export function actor(): string | undefined {
  return vscode.workspace.getConfiguration('mlops').get<string>('user')?.trim() || undefined;
}
