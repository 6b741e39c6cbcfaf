/** The JSON Schemas of the three file kinds (schemas/*.schema.json), bundled into the server. */
import pipelineSchema from '../../../../schemas/pipeline.schema.json';
import paramsSchema from '../../../../schemas/params.schema.json';
import clustersSchema from '../../../../schemas/clusters.schema.json';
import type { FileKind } from '../workspace/workspaceFiles';
import { JsonSchema, SchemaModel } from './schema';

export const schemaModels: Record<FileKind, SchemaModel> = {
  pipeline: new SchemaModel(pipelineSchema as JsonSchema),
  params: new SchemaModel(paramsSchema as JsonSchema),
  clusters: new SchemaModel(clustersSchema as JsonSchema),
};
