/**
 * Every refusal of a registry operation is a `RegistryError`: a stable `code` (printed in
 * `{"error":{code,message}}` by the CLI and read by the editor) and a message that says what to do.
 */
export type RegistryErrorCode =
  | 'unknown-model'
  | 'unknown-version'         // no such version number, nor an alias naming one
  | 'unknown-run'
  | 'unknown-request'
  | 'unknown-alias'           // --remove of an alias the version does not carry
  | 'run-not-completed'       // only a completed run can be registered
  | 'no-artifact'             // the run has no artifact, or none with the --artifact path
  | 'ambiguous-artifact'      // several artifacts and no way to tell the model: name it with --artifact
  | 'already-registered'      // this run's artifact is already a version of the model
  | 'pipeline-mismatch'       // the model belongs to another pipeline file
  | 'invalid-name'            // model name, alias or tag key not of the allowed form
  | 'invalid-text'            // a reason, tag or alias with a control character or line break
  | 'gates-failed'
  | 'override-not-allowed'    // --override-gates on a high-risk pipeline
  | 'reason-required'         // an override or a rejection without a reason
  | 'self-approval'           // four-eyes: the requester cannot approve their own request
  | 'not-pending'             // the request was already approved, rejected or cancelled
  | 'same-stage'
  | 'no-previous-production'
  | 'no-pipeline';            // the model's pipeline file is gone or does not validate

export class RegistryError extends Error {
  constructor(readonly code: RegistryErrorCode, message: string) {
    super(message);
    this.name = 'RegistryError';
  }
}
