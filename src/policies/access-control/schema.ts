/**
 * Configuration of the `access-control` authz policy (TypeBox; validated at load with defaults
 * applied). Cross-field rules JSON Schema cannot express (role inheritance cycles, unknown role
 * names) are checked by `checkAccessControlConfig` and again in `create`.
 */
import { Type, type Static } from 'typebox'

const HttpMethod = Type.Union([
  Type.Literal('GET'),
  Type.Literal('HEAD'),
  Type.Literal('POST'),
  Type.Literal('PUT'),
  Type.Literal('PATCH'),
  Type.Literal('DELETE'),
  Type.Literal('OPTIONS'),
])
const Name = Type.String({ minLength: 1, maxLength: 200 })
const Names = (description: string) => Type.Array(Name, { minItems: 1, description })
/** A JSON pointer (`/customer/tenant`) or, without a leading slash, a top-level field name. */
const FieldRef = Type.String({ minLength: 1, maxLength: 500, description: 'JSON pointer (RFC 6901, "/a/b") or a top-level field name' })

/** One role: the roles it inherits (transitively) and the permissions it grants. */
export const RoleSchema = Type.Object(
  {
    inherits: Type.Array(Name, { default: [], description: 'Roles whose permissions (and role membership) this role includes' }),
    permissions: Type.Array(Name, { default: [], description: 'Permission names granted by this role, e.g. stations:write' }),
  },
  { additionalProperties: false },
)

/**
 * One access rule. The first rule whose `methods` include the request method decides; a request
 * no rule covers is denied. Within a rule, every stated requirement must hold.
 */
export const RuleSchema = Type.Object(
  {
    methods: Type.Optional(Type.Array(HttpMethod, { minItems: 1, description: 'Methods this rule covers (default: all). GET also covers HEAD.' })),
    roles: Type.Optional(Names('The principal needs at least one of these roles (inherited roles count)')),
    scopes: Type.Optional(Names('The principal needs every one of these scopes (OAuth token or API key scopes); matched exactly')),
    permissions: Type.Optional(Names('The principal\'s roles must grant every one of these permissions')),
    allowAnonymous: Type.Optional(
      Type.Boolean({ description: 'Lets requests without a Principal through (the only way to); cannot be combined with roles/scopes/permissions' }),
    ),
  },
  { additionalProperties: false },
)

/** Consumer allow and deny lists; entries are consumer ids or `group:<name>`. Deny wins. */
export const AclSchema = Type.Object(
  {
    allow: Type.Array(Name, { default: [], description: 'When non-empty, only these consumers / groups may pass' }),
    deny: Type.Array(Name, { default: [], description: 'These consumers / groups never pass (deny wins over allow)' }),
  },
  { additionalProperties: false },
)

/** Where the request names its tenant. */
export const TenantSchema = Type.Object(
  {
    from: Type.Union([Type.Literal('path'), Type.Literal('header'), Type.Literal('body')]),
    name: Type.String({ minLength: 1, maxLength: 500, description: 'Path parameter name, header name, or JSON pointer / top-level field for body' }),
    methods: Type.Optional(Type.Array(HttpMethod, { minItems: 1, description: 'Check only these methods (default: all)' })),
  },
  { additionalProperties: false },
)

/** Owner check: a path parameter must equal a claim of the Principal. */
export const OwnerSchema = Type.Object(
  {
    param: Type.String({ minLength: 1, maxLength: 200, description: 'Path parameter holding the owner id, e.g. id for /users/:id' }),
    claim: Type.String({ minLength: 1, maxLength: 200, default: 'sub', description: "'sub' (Principal subject), 'consumerId', or a claim name" }),
    exemptRoles: Type.Array(Name, { default: [], description: 'Roles that may reach other owners\' resources (e.g. admin)' }),
  },
  { additionalProperties: false },
)

/** A body field only some roles may set (mass-assignment protection). */
export const PropertyRuleSchema = Type.Object(
  {
    field: FieldRef,
    roles: Type.Array(Name, { default: [], description: 'Roles that may set the field (inherited roles count); empty = nobody' }),
    action: Type.Union([Type.Literal('refuse'), Type.Literal('strip')], { default: 'refuse', description: 'refuse → 403; strip → the field is removed before the upstream sees it' }),
  },
  { additionalProperties: false },
)

/** The `access-control` policy's config block. */
export const AccessControlSchema = Type.Object(
  {
    roles: Type.Record(Name, RoleSchema, { default: {}, description: 'Role table: role → inherited roles and permissions' }),
    rules: Type.Array(RuleSchema, { default: [], description: 'First rule whose methods match decides; none matching → deny' }),
    acl: Type.Optional(AclSchema),
    tenant: Type.Optional(TenantSchema),
    owner: Type.Optional(OwnerSchema),
    properties: Type.Array(PropertyRuleSchema, { default: [], description: 'Body fields only some roles may set' }),
  },
  { additionalProperties: false },
)

/** Parsed config of the `access-control` policy (defaults applied). */
export type AccessControlConfig = Static<typeof AccessControlSchema>
/** One access rule. */
export type AccessRule = Static<typeof RuleSchema>
/** One property rule. */
export type PropertyRule = Static<typeof PropertyRuleSchema>
