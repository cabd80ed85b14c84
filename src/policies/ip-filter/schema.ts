import { Type, type Static } from 'typebox'

/** `ip-filter` configuration: CIDR allow and deny lists (IPv4 and IPv6). */
export const IpFilterSchema = Type.Object(
  {
    allow: Type.Array(Type.String({ format: 'ip-or-cidr' }), { default: [], description: 'When non-empty, only these CIDRs may pass' }),
    deny: Type.Array(Type.String({ format: 'ip-or-cidr' }), { default: [], description: 'These CIDRs never pass (deny wins over allow)' }),
  },
  { additionalProperties: false },
)
export type IpFilterConfig = Static<typeof IpFilterSchema>
