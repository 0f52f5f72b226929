// Identifiers both services accept from callers: request ids (x-request-id,
// the agent's request_id) and UUIDs. One definition, so the agent and the
// controller never disagree on what a valid one is.

/** 1-128 characters of [A-Za-z0-9._:-]: what a request id may be. */
export const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
export const REQUEST_ID_RULE = 'must be 1-128 characters of [A-Za-z0-9._:-]';

export function isRequestId(value: string): boolean {
  return REQUEST_ID_RE.test(value);
}

/** A UUID in its 8-4-4-4-12 form, either case. */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID as the agent and controller store it: lower case. */
export function isCanonicalUuid(value: string): boolean {
  return UUID_RE.test(value) && value === value.toLowerCase();
}
