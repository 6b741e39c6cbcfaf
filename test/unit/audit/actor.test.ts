/**
 * Who acts: --by, else MLOPS_USER, else git's user.email. A name that could forge a line of the log
 * (control characters) or pose as MLOps itself (the system actor) is refused, saying where it came from.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { resolveActor } from '../../../server/src/core/audit/actor';
import { AuditError, SYSTEM_ACTOR } from '../../../server/src/core/audit/auditLog';

const saved = process.env.MLOPS_USER;
afterEach(() => {
  if (saved === undefined) delete process.env.MLOPS_USER;
  else process.env.MLOPS_USER = saved;
});

function refused(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof AuditError && e.code === 'invalid-actor' && pattern.test(e.message));
}

describe('resolveActor', () => {
  test('--by wins over MLOPS_USER, both trimmed', () => {
    process.env.MLOPS_USER = ' env@example.eu ';
    assert.equal(resolveActor('.', ' ana@example.eu '), 'ana@example.eu');
    assert.equal(resolveActor('.'), 'env@example.eu');
  });

  test('a control character or line separator in --by or MLOPS_USER is refused, naming where it came from', () => {
    for (const c of ['\n', '\r', '\t', '\u0000', '\u001b', '\u007f', '\u0085', '\u2028', '\u2029']) {
      refused(() => resolveActor('.', `ana${c}#2 forged`), /^--by "ana\\(n|r|t|u[0-9a-f]{4})#2 forged" holds a control character or line break \(U\+[0-9A-F]{4}\)/);
    }
    // What process.env can hold (it cuts at NUL and re-encodes the rest).
    for (const c of ['\n', '\r', '\t', '\u001b']) {
      process.env.MLOPS_USER = `ana${c}x`;
      refused(() => resolveActor('.'), /^MLOPS_USER .* holds a control character or line break.*Give MLOPS_USER a name on one line\.$/);
    }
  });

  test('the system actor\'s name is refused from --by or MLOPS_USER, in any case', () => {
    refused(() => resolveActor('.', SYSTEM_ACTOR), /^--by "mlops": that name is reserved for what MLOps does on nobody's behalf/);
    process.env.MLOPS_USER = ' MLOps ';
    refused(() => resolveActor('.'), /^MLOPS_USER "MLOps": that name is reserved/);
    assert.equal(resolveActor('.', 'mlops-bot'), 'mlops-bot');
  });
});
