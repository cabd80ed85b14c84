/**
 * JSON Merge Patch (RFC 7396). Pure and allocation-only: the target is never mutated, and member
 * names such as `__proto__` are copied as plain data, never as prototype assignments.
 */

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function setMember(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}

/**
 * Applies `patch` to `target` as RFC 7396 section 2 defines: a non-object patch replaces the
 * target; `null` members delete; object members merge recursively; everything else replaces.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch
  const result: Record<string, unknown> = {}
  if (isObject(target)) for (const [key, value] of Object.entries(target)) setMember(result, key, value)
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key]
    else setMember(result, key, applyMergePatch(Object.hasOwn(result, key) ? result[key] : undefined, value))
  }
  return result
}
