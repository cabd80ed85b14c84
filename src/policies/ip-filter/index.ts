/**
 * ip-filter (edge). Threat: traffic from networks that must never reach the API (abusive ranges,
 * everything outside a partner's network). Failure mode: fails closed — an address that cannot be
 * parsed is not on any allow list, so with an allow list it is refused.
 * The client IP is the one the listener resolved through `trustedProxies`, never a raw header.
 */
import type { Policy } from '../../core/types.js'
import { compileCidrList } from '../../core/cidr.js'
import { IpFilterSchema } from './schema.js'

export const ipFilterPolicy: Policy<typeof IpFilterSchema> = {
  name: 'ip-filter',
  stage: 'edge',
  schema: IpFilterSchema,
  create(config) {
    const allow = compileCidrList(config.allow)
    const deny = compileCidrList(config.deny)
    return {
      onRequest(ctx) {
        if (deny.size > 0 && deny.has(ctx.clientIp)) return { code: 'ERR_IP_DENIED', reason: `${ctx.clientIp} is on the deny list` }
        if (allow.size > 0 && !allow.has(ctx.clientIp)) return { code: 'ERR_IP_DENIED', reason: `${ctx.clientIp} is not on the allow list` }
        return null
      },
    }
  },
}
