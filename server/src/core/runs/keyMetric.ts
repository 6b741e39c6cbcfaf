/**
 * The key metric of a stage's runs: what the Runs view shows beside each run. It is the search
 * metric of the pipeline's params file when the stage reports it (what a sweep ranks by), else the
 * first metric the stage declares (`metrics: [loss, ...]`). Read leniently: a pipeline being edited
 * into an invalid state just has no key metrics.
 */
import * as fs from 'fs';
import * as jsyaml from 'js-yaml';
import { diskSource, ParseCache, paramsPathFor } from '../workspace/workspaceFiles';

/** Stage name -> its key metric, for the stages of one pipeline file that declare metrics. */
export function keyMetricsOf(pipelineFile: string, root: string): Map<string, string> {
  const keys = new Map<string, string>();
  const pipeline = readYaml(pipelineFile) as { params?: unknown; stages?: Record<string, { metrics?: unknown } | null> } | undefined;
  if (!pipeline || typeof pipeline.stages !== 'object' || pipeline.stages === null) return keys;
  const paramsFile = paramsPathFor(pipelineFile, typeof pipeline.params === 'string' ? pipeline.params : undefined, { source: diskSource, cache: new ParseCache(), roots: [root] });
  const searchMetric = (readYaml(paramsFile) as { search?: { metric?: unknown } } | undefined)?.search?.metric;
  for (const [stage, spec] of Object.entries(pipeline.stages)) {
    const metrics = Array.isArray(spec?.metrics) ? spec.metrics.filter((m): m is string => typeof m === 'string') : [];
    const key = typeof searchMetric === 'string' && metrics.includes(searchMetric) ? searchMetric : metrics[0];
    if (key !== undefined) keys.set(stage, key);
  }
  return keys;
}

function readYaml(file: string): unknown {
  try {
    const doc = jsyaml.load(fs.readFileSync(file, 'utf8'));
    return typeof doc === 'object' && doc !== null ? doc : undefined;
  } catch {
    return undefined;
  }
}
