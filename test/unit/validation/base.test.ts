import { describe, test } from 'node:test';
import { assertNoProblems, baseWorkspace, validateIn } from './validateFixture';

describe('the base workspace (sample pipeline, params, clusters)', () => {
  test('pipeline.yaml has no problems', () => assertNoProblems(validateIn(baseWorkspace(), 'pipeline.yaml')));
  test('params.yaml has no problems', () => assertNoProblems(validateIn(baseWorkspace(), 'params.yaml')));
  test('clusters.yaml has no problems', () => assertNoProblems(validateIn(baseWorkspace(), 'clusters.yaml')));
});
