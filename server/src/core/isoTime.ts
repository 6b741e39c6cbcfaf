/** Times as the CLI, the JSON documents and the model card show them: ISO 8601 in UTC, with milliseconds. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
