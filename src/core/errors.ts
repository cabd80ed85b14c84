/**
 * The one error table. Every problem response the gateway sends is rendered from a code here,
 * so a status, a title and a stable `code` member can never drift apart between policies.
 */
export const ERRORS = {
  ERR_ROUTE_NOT_FOUND: { status: 404, title: 'No route matches this request' },
  ERR_NOT_FOUND: { status: 404, title: 'Resource not found' },
  ERR_CONFLICT: { status: 409, title: 'Conflict' },
  ERR_PRECONDITION_FAILED: { status: 412, title: 'Precondition failed' },
  ERR_METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed on this route' },
  ERR_REQUEST_MALFORMED: { status: 400, title: 'Malformed request' },
  ERR_REQUEST_TIMEOUT: { status: 408, title: 'Request not received in time' },
  ERR_BODY_TOO_LARGE: { status: 413, title: 'Request body too large' },
  ERR_URI_TOO_LONG: { status: 414, title: 'Request URI too long' },
  ERR_HEADERS_TOO_LARGE: { status: 431, title: 'Request header fields too large' },
  ERR_IP_DENIED: { status: 403, title: 'Client address not allowed' },
  ERR_AUTH_REQUIRED: { status: 401, title: 'Authentication required' },
  ERR_AUTH_INVALID: { status: 401, title: 'Invalid credentials' },
  ERR_AUTH_FORBIDDEN: { status: 403, title: 'Credential not allowed here' },
  ERR_AUTH_LOCKED: { status: 429, title: 'Too many failed authentication attempts' },
  ERR_ACCESS_DENIED: { status: 403, title: 'Access denied' },
  ERR_INSUFFICIENT_SCOPE: { status: 403, title: 'Insufficient scope' },
  ERR_TENANT_MISMATCH: { status: 403, title: 'Access denied' },
  ERR_RATE_LIMITED: { status: 429, title: 'Too many requests' },
  ERR_QUOTA_EXCEEDED: { status: 429, title: 'Quota exceeded' },
  ERR_CONCURRENCY_LIMITED: { status: 503, title: 'Too many concurrent requests' },
  ERR_ATTACK_DETECTED: { status: 403, title: 'Request blocked' },
  ERR_SCHEMA_INVALID: { status: 422, title: 'Request does not match the API schema' },
  ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  ERR_NOT_ACCEPTABLE: { status: 406, title: 'Not acceptable' },
  ERR_INSECURE_TRANSPORT: { status: 403, title: 'Credentials must be sent over HTTPS' },
  ERR_STORE_UNAVAILABLE: { status: 503, title: 'Service temporarily unavailable' },
  ERR_UPSTREAM_UNREACHABLE: { status: 502, title: 'Upstream unreachable' },
  ERR_UPSTREAM_TIMEOUT: { status: 504, title: 'Upstream timed out' },
  ERR_ADMIN_UNAUTHORIZED: { status: 401, title: 'Admin token required' },
  ERR_ADMIN_FORBIDDEN: { status: 403, title: 'Admin role does not allow this' },
  ERR_ADMIN_NOT_FOUND: { status: 404, title: 'Not found' },
  ERR_ADMIN_INVALID: { status: 422, title: 'Invalid admin request' },
  ERR_SHUTTING_DOWN: { status: 503, title: 'Gateway is shutting down' },
  ERR_INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>

/** A stable, documented error code (`ERR_<AREA>_<REASON>`). */
export type ErrorCode = keyof typeof ERRORS

/** Thrown by library code for an expected failure that must become a specific problem. */
export class GatewayError extends Error {
  readonly code: ErrorCode
  readonly headers: Record<string, string> | undefined
  /** Extra problem members (e.g. `errors` with JSON pointers). */
  readonly extra: Record<string, unknown> | undefined
  constructor(code: ErrorCode, detail?: string, headers?: Record<string, string>, extra?: Record<string, unknown>) {
    super(detail ?? ERRORS[code].title)
    this.code = code
    this.headers = headers
    this.extra = extra
  }
}
