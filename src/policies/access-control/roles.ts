/**
 * The RBAC role table, resolved once at config load: every role's transitive closure (itself and
 * every role it inherits) and the union of their permissions. Per request, expanding a
 * Principal's roles is a few Set lookups.
 */

/** One role as configured. */
export interface RoleDefinition {
  inherits?: readonly string[] | undefined
  permissions?: readonly string[] | undefined
}

/** A resolved role table. */
export interface RoleTable {
  /** True when the config defined at least one role (then unknown names in rules are errors). */
  readonly defined: boolean
  /** Every role a Principal holding `roles` effectively has (its own plus inherited ones). */
  expand(roles: readonly string[]): ReadonlySet<string>
  /** The permissions granted by an (already expanded) role set. */
  permissionsOf(effectiveRoles: ReadonlySet<string>): ReadonlySet<string>
  /** True when one of the (already expanded) roles grants `permission`; allocation-free. */
  grants(effectiveRoles: ReadonlySet<string>, permission: string): boolean
  /** True when `name` is a role in the table. */
  has(name: string): boolean
}

/** A configuration problem found while resolving the role table; `path` is relative to the config block. */
export interface RoleIssue {
  path: string
  message: string
}

/**
 * Finds inheritance cycles and references to undefined roles. Returns every issue (empty when
 * the table is sound) so validation can list them all at once.
 */
export function checkRoles(roles: Readonly<Record<string, RoleDefinition>>): RoleIssue[] {
  const issues: RoleIssue[] = []
  for (const [name, role] of Object.entries(roles)) {
    ;(role.inherits ?? []).forEach((parent, i) => {
      if (!Object.hasOwn(roles, parent)) issues.push({ path: `/roles/${escapePointer(name)}/inherits/${i}`, message: `role ${JSON.stringify(name)} inherits unknown role ${JSON.stringify(parent)}` })
    })
  }
  // Depth-first search with three colours; a grey node reached again closes a cycle.
  const colour = new Map<string, 'grey' | 'black'>()
  const reported = new Set<string>()
  const visit = (name: string, trail: string[]): void => {
    const state = colour.get(name)
    if (state === 'black') return
    if (state === 'grey') {
      const cycle = [...trail.slice(trail.indexOf(name)), name]
      const key = [...new Set(cycle)].sort().join('\u0000')
      if (!reported.has(key)) {
        reported.add(key)
        issues.push({ path: `/roles/${escapePointer(name)}/inherits`, message: `role inheritance cycle: ${cycle.join(' → ')}` })
      }
      return
    }
    colour.set(name, 'grey')
    for (const parent of roles[name]?.inherits ?? []) if (Object.hasOwn(roles, parent)) visit(parent, [...trail, name])
    colour.set(name, 'black')
  }
  for (const name of Object.keys(roles)) visit(name, [])
  return issues
}

/** Resolves the role table; throws an Error listing every issue when it has cycles or dangling names. */
export function compileRoles(roles: Readonly<Record<string, RoleDefinition>>): RoleTable {
  const issues = checkRoles(roles)
  if (issues.length > 0) throw new Error(`access-control: invalid role table:\n${issues.map((i) => `  ${i.path}  ${i.message}`).join('\n')}`)
  const closure = new Map<string, ReadonlySet<string>>()
  const closureOf = (name: string): ReadonlySet<string> => {
    const known = closure.get(name)
    if (known) return known
    const set = new Set<string>([name])
    // Acyclic (checked above), so plain recursion terminates.
    for (const parent of roles[name]?.inherits ?? []) for (const r of closureOf(parent)) set.add(r)
    closure.set(name, set)
    return set
  }
  const permissions = new Map<string, ReadonlySet<string>>()
  for (const name of Object.keys(roles)) {
    const granted = new Set<string>()
    for (const r of closureOf(name)) for (const p of roles[r]?.permissions ?? []) granted.add(p)
    permissions.set(name, granted)
  }
  return {
    defined: Object.keys(roles).length > 0,
    has: (name) => Object.hasOwn(roles, name),
    expand(held) {
      // The common case, one known role, needs no copy: closures are never mutated.
      if (held.length === 1 && Object.hasOwn(roles, held[0]!)) return closureOf(held[0]!)
      const effective = new Set<string>()
      for (const role of held) {
        // A role the table does not know still counts as itself (rules may name it directly).
        const resolved = Object.hasOwn(roles, role) ? closureOf(role) : [role]
        for (const r of resolved) effective.add(r)
      }
      return effective
    },
    permissionsOf(effective) {
      const granted = new Set<string>()
      for (const role of effective) for (const p of permissions.get(role) ?? []) granted.add(p)
      return granted
    },
    grants(effective, permission) {
      for (const role of effective) if (permissions.get(role)?.has(permission)) return true
      return false
    },
  }
}

/** Escapes one JSON pointer segment (RFC 6901). */
export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1')
}
