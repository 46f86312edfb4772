import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * Checks responses of the fake GitHub against GitHub's own OpenAPI
 * description (@octokit/openapi), so the fake cannot drift from the real API
 * in the fields the publisher reads.
 */
const require = createRequire(import.meta.url);
let spec: { paths: Record<string, Record<string, { operationId: string; responses: Record<string, { content?: Record<string, { schema: object }> }> }>> } | undefined;
const validators = new Map<string, ValidateFunction>();
const ajv = new Ajv({ strict: false, allErrors: true });
(addFormats as unknown as (ajv: Ajv) => void)(ajv);

function loadSpec() {
  spec ??= JSON.parse(readFileSync(require.resolve('@octokit/openapi/generated/api.github.com.deref.json'), 'utf8'));
  return spec!;
}

/** GitHub documents `uploaded` and `open`; a failed upload has been seen to leave `starter`. */
function allowStarter(schema: unknown): unknown {
  const text = JSON.stringify(schema).replaceAll('"enum":["uploaded","open"]', '"enum":["uploaded","open","starter"]');
  return JSON.parse(text);
}

export function validateResponse(method: string, pathTemplate: string, status: number, body: unknown): void {
  const key = `${method} ${pathTemplate} ${status}`;
  let validate = validators.get(key);
  if (!validate) {
    const operation = loadSpec().paths[pathTemplate]?.[method.toLowerCase()];
    if (!operation) throw new Error(`the OpenAPI description has no ${method} ${pathTemplate}`);
    const response = operation.responses[String(status)];
    if (!response) throw new Error(`${operation.operationId} documents no ${status} response`);
    const schema = response.content?.['application/json']?.schema;
    validate = schema ? ajv.compile(allowStarter(schema) as object) : (((value: unknown) => value === undefined || value === '') as ValidateFunction);
    validators.set(key, validate);
  }
  if (!validate(body)) {
    throw new Error(`${key}: response does not match GitHub's OpenAPI description: ${ajv.errorsText(validate.errors)}`);
  }
}
