/**
 * Reading request bodies for the demo API: Content-Type check (415), capped read (413), strict
 * UTF-8 and syntax (400). Schema validation (422) is the caller's next step, on the parsed value.
 */
import type { TSchema } from 'typebox'
import { readBodyCapped } from '../core/body.js'
import { parseContentType, type BodyFormat } from './negotiate.js'
import { DemoError, type DemoContext } from './respond.js'
import { XmlSyntaxError } from './xml.js'

/** Limits for reading one body. */
export interface BodyLimits {
  maxBodyBytes: number
  bodyTimeoutMs: number
}

/** What a route accepts as a body. */
export interface BodySpec {
  formats: readonly BodyFormat[]
  /** Root element and schema used to read an XML body into JSON values. */
  xmlRoot: string
  schema: TSchema
}

/** A parsed request body. */
export interface ParsedBody {
  format: BodyFormat
  value: unknown
}

/** Reads, decodes and parses the request body; throws a DemoError/GatewayError on any failure. */
export async function readBody(ctx: DemoContext, spec: BodySpec, limits: BodyLimits): Promise<ParsedBody> {
  const type = parseContentType(ctx.req.headers['content-type'], spec.formats)
  if (!type.ok) {
    const headers: Record<string, string> = spec.formats.includes('merge-patch') ? { 'accept-patch': 'application/merge-patch+json' } : {}
    throw new DemoError('ERR_UNSUPPORTED_MEDIA_TYPE', type.detail, { headers })
  }
  const bytes = await readBodyCapped(ctx.req, limits.maxBodyBytes, limits.bodyTimeoutMs)
  let text: string
  try {
    // fatal: a single invalid byte sequence is a malformed request, not a replacement character.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new DemoError('ERR_REQUEST_MALFORMED', 'The request body is not valid UTF-8.')
  }
  if (type.format === 'xml') {
    try {
      return { format: 'xml', value: ctx.xml.parse(text, spec.xmlRoot, spec.schema) }
    } catch (error) {
      if (error instanceof XmlSyntaxError) throw new DemoError('ERR_REQUEST_MALFORMED', error.message)
      throw error
    }
  }
  try {
    return { format: type.format, value: JSON.parse(text) as unknown }
  } catch {
    throw new DemoError('ERR_REQUEST_MALFORMED', 'The request body is not valid JSON.')
  }
}
