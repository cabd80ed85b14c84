/**
 * The JSON body helpers the tenant and property rules need: media-type test, a parse that refuses
 * duplicate keys, and JSON pointers (RFC 6901, plus a `*` segment for "every element/key").
 *
 * Duplicate keys matter because parsers disagree on them: `{"tenant":"A","tenant":"B"}` is "B"
 * to JSON.parse and "A" to many first-wins parsers, so a check on one value while the upstream
 * acts on the other would be a bypass. Such bodies are refused as malformed.
 */

/** True for `application/json` and `application/*+json` (e.g. merge-patch+json), any parameters. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (!contentType) return false
  const type = (contentType.split(';', 1)[0] ?? '').trim().toLowerCase()
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))
}

/** The outcome of parsing a request body as JSON. */
export type JsonParse = { ok: true; value: unknown } | { ok: false; reason: string }

/** Parses JSON and refuses objects with a repeated key (compared after unescaping). */
export function parseJsonStrict(text: string): JsonParse {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return { ok: false, reason: `invalid JSON: ${(error as Error).message}` }
  }
  const duplicate = findDuplicateKey(text)
  return duplicate === undefined ? { ok: true, value } : { ok: false, reason: `duplicate JSON key ${JSON.stringify(duplicate)}` }
}

/**
 * Scans text that JSON.parse already accepted and returns the first key repeated within one
 * object. Linear time: each character is visited once; only key strings are decoded.
 */
function findDuplicateKey(text: string): string | undefined {
  // One entry per open container: a Set of keys for objects, null for arrays.
  const stack: (Set<string> | null)[] = []
  let expectKey = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x7b /* { */) {
      stack.push(new Set())
      expectKey = true
    } else if (c === 0x5b /* [ */) {
      stack.push(null)
      expectKey = false
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop()
      expectKey = false
    } else if (c === 0x2c /* , */) {
      expectKey = stack.at(-1) instanceof Set
    } else if (c === 0x22 /* " */) {
      const start = i
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i)
        if (d === 0x5c /* \ */) i++
        else if (d === 0x22) break
      }
      if (expectKey) {
        const keys = stack.at(-1)
        const key = JSON.parse(text.slice(start, i + 1)) as string
        if (keys) {
          if (keys.has(key)) return key
          keys.add(key)
        }
        expectKey = false
      }
    }
  }
  return undefined
}

/** A compiled field reference: pointer segments, lower-cased when matching ignores case. */
export interface FieldPath {
  readonly source: string
  readonly segments: readonly string[]
}

/** Compiles `/a/b~1c` (JSON pointer) or `name` (one top-level field). */
export function compileFieldPath(ref: string): FieldPath {
  if (!ref.startsWith('/')) return { source: ref, segments: [ref] }
  const segments = ref
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
  return { source: ref, segments }
}

/** Reads the value at an exact (case-sensitive, wildcard-free) path; undefined when absent. */
export function getAtPath(root: unknown, path: FieldPath): unknown {
  let node = root
  for (const segment of path.segments) {
    if (Array.isArray(node)) {
      if (!/^(0|[1-9]\d{0,8})$/.test(segment)) return undefined
      node = node[Number(segment)]
    } else if (node !== null && typeof node === 'object') {
      if (!Object.hasOwn(node, segment)) return undefined
      node = (node as Record<string, unknown>)[segment]
    } else return undefined
  }
  return node
}

/**
 * Visits every location the path matches, case-insensitively for object keys (many frameworks
 * bind `IsAdmin` to `isAdmin`, so a case-sensitive guard would be bypassable) and with `*` meaning
 * every array element or object key. Calls `onMatch(container, key)` for each present match.
 */
export function forEachMatch(
  root: unknown,
  path: FieldPath,
  onMatch: (container: Record<string, unknown> | unknown[], key: string | number) => void,
): void {
  const walk = (node: unknown, depth: number): void => {
    if (node === null || typeof node !== 'object') return
    const segment = path.segments[depth]!
    const last = depth === path.segments.length - 1
    const keys: (string | number)[] = []
    if (Array.isArray(node)) {
      if (segment === '*') for (let i = 0; i < node.length; i++) keys.push(i)
      else if (/^(0|[1-9]\d{0,8})$/.test(segment) && Number(segment) < node.length) keys.push(Number(segment))
    } else {
      const wanted = segment.toLowerCase()
      for (const key of Object.keys(node)) if (segment === '*' || key.toLowerCase() === wanted) keys.push(key)
    }
    // Delete from the end so array indices of pending matches stay valid.
    for (const key of keys.reverse()) {
      const container = node as Record<string, unknown> | unknown[]
      if (last) onMatch(container, key)
      else walk((container as Record<string | number, unknown>)[key], depth + 1)
    }
  }
  walk(root, 0)
}

/** Removes a matched location (array elements are spliced out, object keys deleted). */
export function removeAt(container: Record<string, unknown> | unknown[], key: string | number): void {
  if (Array.isArray(container)) container.splice(Number(key), 1)
  else delete container[key as string]
}
