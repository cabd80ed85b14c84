/**
 * request-size (edge). Threat: resource exhaustion through huge bodies, URLs, query strings or
 * header lists aimed at one route (uploads of gigabytes to an endpoint that takes 2 KB of JSON).
 * Failure mode: fails closed — over any cap is a 413/414/431 problem. The body cap is enforced
 * while streaming too (the proxy counts bytes), so a body with no Content-Length cannot sneak by.
 */
import type { Policy } from '../../core/types.js'
import { parseSizeBytes } from '../../core/units.js'
import { RequestSizeSchema } from './schema.js'

export const requestSizePolicy: Policy<typeof RequestSizeSchema> = {
  name: 'request-size',
  stage: 'edge',
  schema: RequestSizeSchema,
  create(config) {
    const maxBodyBytes = config.maxBodyBytes === undefined ? undefined : parseSizeBytes(config.maxBodyBytes)
    const maxUrlBytes = config.maxUrlBytes === undefined ? undefined : parseSizeBytes(config.maxUrlBytes)
    const { maxQueryParams, maxHeaderCount } = config
    return {
      onRequest(ctx) {
        if (maxUrlBytes !== undefined && (ctx.req.url?.length ?? 0) > maxUrlBytes) {
          return { code: 'ERR_URI_TOO_LONG', detail: `The request URI exceeds ${maxUrlBytes} bytes.` }
        }
        if (maxHeaderCount !== undefined && ctx.req.rawHeaders.length / 2 > maxHeaderCount) {
          return { code: 'ERR_HEADERS_TOO_LARGE', detail: `More than ${maxHeaderCount} header fields.` }
        }
        if (maxQueryParams !== undefined && ctx.rawQuery !== '' && ctx.rawQuery.split('&', maxQueryParams + 1).length > maxQueryParams) {
          return { code: 'ERR_URI_TOO_LONG', detail: `More than ${maxQueryParams} query parameters.` }
        }
        if (maxBodyBytes !== undefined) {
          const declared = ctx.headers['content-length']
          if (declared !== undefined && Number(declared) > maxBodyBytes) {
            return { code: 'ERR_BODY_TOO_LARGE', detail: `The request body exceeds ${maxBodyBytes} bytes.` }
          }
          // Chunked bodies declare nothing: lower the cap the body reader and the proxy enforce.
          ctx.maxBodyBytes = Math.min(ctx.maxBodyBytes, maxBodyBytes)
        }
        return null
      },
    }
  },
}
