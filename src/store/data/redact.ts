/**
 * Defence in depth for the audit log: callers must not put secrets in `details`, but a
 * mistake there would persist a secret forever, so values under secret-looking names are
 * replaced before they reach the database.
 */

/** Member names whose values are never stored in audit details. */
const SECRET_NAME = /(secret|password|passwd|token|apikey|api_key|private|credential|ciphertext|^key$|hash)/i

/** A deep copy of `details` with secret-looking members replaced by `"[redacted]"`. */
export function redactDetails(details: Record<string, unknown>): Record<string, unknown> {
  return redactValue(details, 0) as Record<string, unknown>
}

function redactValue(value: unknown, depth: number): unknown {
  // Depth cap: audit details are small; a cycle or absurd nesting must not blow the stack.
  if (depth > 16) return '[truncated]'
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1))
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [name, member] of Object.entries(value)) {
      out[name] = SECRET_NAME.test(name) ? '[redacted]' : redactValue(member, depth + 1)
    }
    return out
  }
  return value
}
