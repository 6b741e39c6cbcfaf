/** Runs a feature handler so that an exception is logged and answered with a fallback, never fatal. */
import type { Connection } from 'vscode-languageserver/node';

export function guarded<A extends unknown[], R>(connection: Connection, feature: string, fallback: R, handler: (...args: A) => R): (...args: A) => R {
  return (...args: A): R => {
    try {
      return handler(...args);
    } catch (err) {
      connection.console.error(`${feature} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      return fallback;
    }
  };
}
