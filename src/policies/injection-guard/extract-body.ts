/**
 * Body parsers for extraction: JSON (every key and value, to the depth limit), XML (text,
 * attributes and the DOCTYPE), form-urlencoded, multipart (field values and file names) and, for
 * anything else or anything that fails to parse, the raw text. A parse failure never skips
 * inspection: the backend may parse more leniently than we do.
 */
import { XMLParser } from 'fast-xml-parser'
import { addUrlEncoded, namesFile, type Collector } from './extract.js'

/** Keys in fast-xml-parser output that carry attributes, text or the DOCTYPE. */
const ATTR_PREFIX = '@_'
const TEXT_KEY = '#text'
/** Part headers of a multipart body: a few hundred bytes each in practice. */
const MAX_PART_HEADER_BYTES = 8192
/** Media types whose body is JSON (`application/json`, `application/merge-patch+json`, ...). */
const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json$/
const XML_TYPE = /^(?:application|text)\/(?:[\w.-]+\+)?xml$/

const xmlParser = (): XMLParser =>
  new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: ATTR_PREFIX,
    textNodeName: TEXT_KEY,
    // Entities are never expanded: expansion is what XXE and "billion laughs" abuse.
    processEntities: false,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    commentPropName: '#comment',
    cdataPropName: '#cdata',
  })

/** Adds a JSON value tree; keys are inspected too. */
export function addTree(collector: Collector, location: string, value: unknown, depth: number): void {
  if (!collector.open) return
  if (depth > collector.limits.maxDepth) {
    collector.hit('depth')
    return
  }
  if (typeof value === 'string') collector.add('body', location, value)
  else if (Array.isArray(value)) {
    for (let i = 0; i < value.length && collector.open; i++) addMember(collector, location, i, value[i], depth + 1)
  } else if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>
    // `for…in`, not Object.keys: no array per object (JSON.parse output inherits no enumerable keys).
    for (const key in object) {
      if (!collector.open) return
      if (!collector.skipKnown('body', key, true, false)) collector.add('body', `${location}.${key}`, key, true)
      addMember(collector, location, key, object[key], depth + 1)
    }
  }
}

/**
 * Adds an array item (`name` is its index) or an object member at `depth`. Its location is built
 * only when something needs it: most members are numbers or known strings.
 */
function addMember(collector: Collector, parent: string, name: string | number, child: unknown, depth: number): void {
  if (depth <= collector.limits.maxDepth) {
    if (typeof child === 'string') {
      if (collector.skipKnown('body', child, false, typeof name === 'string' && namesFile(name))) return
    } else if (child === null || typeof child !== 'object') return
  }
  addTree(collector, typeof name === 'number' ? `${parent}[${name}]` : `${parent}.${name}`, child, depth)
}

/** Media type without parameters, lower-case. */
function mediaType(contentType: string): string {
  const semi = contentType.indexOf(';')
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase()
}

/** A parameter of a Content-Type / Content-Disposition value (quoted or token), or undefined. */
export function headerParam(header: string, name: string): string | undefined {
  for (const part of header.split(';').slice(1)) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    if (part.slice(0, eq).trim().toLowerCase() !== name) continue
    let value = part.slice(eq + 1).trim()
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
    return value
  }
  return undefined
}

function addXml(collector: Collector, text: string): void {
  const doctype = text.indexOf('<!DOCTYPE')
  const upper = doctype < 0 ? text.toUpperCase().indexOf('<!DOCTYPE') : doctype
  if (upper >= 0) {
    // The DTD itself (XXE lives there); bounded to the internal subset's end or 4 KiB.
    const end = text.indexOf(']>', upper)
    collector.add('body', 'body.!doctype', text.slice(upper, end < 0 ? upper + 4096 : Math.min(end + 2, upper + 4096)))
  }
  let tree: unknown
  try {
    tree = xmlParser().parse(text)
  } catch {
    collector.add('body', 'body', text)
    return
  }
  addXmlTree(collector, 'body', tree, 0)
}

/** Like addTree, but attribute and text keys are structural, not inspected names. */
function addXmlTree(collector: Collector, location: string, value: unknown, depth: number): void {
  if (!collector.open) return
  if (depth > collector.limits.maxDepth) return collector.hit('depth')
  if (typeof value === 'string') collector.add('body', location, value)
  else if (Array.isArray(value)) {
    for (let i = 0; i < value.length && collector.open; i++) addXmlTree(collector, `${location}[${i}]`, value[i], depth + 1)
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      if (!collector.open) return
      if (key === TEXT_KEY || key === '#cdata' || key === '#comment') addXmlTree(collector, location, child, depth + 1)
      else if (key.startsWith(ATTR_PREFIX)) addXmlTree(collector, `${location}@${key.slice(ATTR_PREFIX.length)}`, child, depth + 1)
      else if (key !== '?xml') {
        collector.add('body', `${location}.${key}`, key, true)
        addXmlTree(collector, `${location}.${key}`, child, depth + 1)
      }
    }
  }
}

function addMultipart(collector: Collector, body: Buffer, boundary: string): void {
  const delimiter = Buffer.from(`--${boundary}`)
  let cursor = body.indexOf(delimiter)
  if (cursor < 0) {
    collector.add('body', 'body', body.toString('utf8'))
    return
  }
  let index = 0
  while (collector.open) {
    const start = cursor + delimiter.length
    if (body[start] === 0x2d && body[start + 1] === 0x2d) return // closing delimiter `--boundary--`
    const next = body.indexOf(delimiter, start)
    const part = body.subarray(start, next < 0 ? body.length : next)
    addPart(collector, part, index++)
    if (next < 0) return
    cursor = next
  }
}

function addPart(collector: Collector, part: Buffer, index: number): void {
  const headerEnd = part.indexOf('\r\n\r\n')
  const lfEnd = headerEnd < 0 ? part.indexOf('\n\n') : -1
  const split = headerEnd >= 0 ? headerEnd : lfEnd
  if (split < 0 || split > MAX_PART_HEADER_BYTES) {
    collector.add('body', `body.part[${index}]`, part.toString('utf8'))
    return
  }
  const headerText = part.subarray(0, split).toString('utf8')
  let content = part.subarray(split + (headerEnd >= 0 ? 4 : 2))
  if (content.length >= 2 && content[content.length - 2] === 0x0d && content[content.length - 1] === 0x0a) content = content.subarray(0, -2)
  else if (content.length >= 1 && content[content.length - 1] === 0x0a) content = content.subarray(0, -1)
  let disposition = ''
  let partType = ''
  for (const line of headerText.split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon < 0) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    if (name === 'content-disposition') disposition = line.slice(colon + 1)
    else if (name === 'content-type') partType = line.slice(colon + 1).trim()
  }
  const field = headerParam(disposition, 'name') ?? `part[${index}]`
  const location = `body.${field}`
  collector.add('body', location, field, true)
  const filename = headerParam(disposition, 'filename') ?? headerParam(disposition, 'filename*')
  if (filename !== undefined) {
    collector.add('body', `${location}.filename`, filename)
    if (partType) collector.add('body', `${location}.content-type`, partType)
    // File contents are data for the backend, not parameters: only text parts are inspected.
    if (!partType.toLowerCase().startsWith('text/')) return
  }
  extractTyped(collector, content, partType || 'text/plain', location)
}

/** Parses `body` by media type and adds what it finds under `location`. */
function extractTyped(collector: Collector, body: Buffer, contentType: string, location: string): void {
  const type = mediaType(contentType)
  if (JSON_TYPE.test(type)) {
    const text = body.toString('utf8')
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      collector.add('body', location, text)
      return
    }
    addTree(collector, location, parsed, 0)
  } else if (XML_TYPE.test(type)) {
    addXml(collector, body.toString('utf8'))
  } else if (type === 'application/x-www-form-urlencoded') {
    addUrlEncoded(collector, 'body', location, body.toString('utf8'))
  } else if (type.startsWith('multipart/') && location === 'body') {
    const boundary = headerParam(contentType, 'boundary')
    if (boundary) addMultipart(collector, body, boundary)
    else collector.add('body', location, body.toString('utf8'))
  } else {
    collector.add('body', location, body.toString('utf8'))
  }
}

/**
 * Adds the body. A body over the character budget is not parsed: its first `maxBytes` are
 * inspected as text and the bytes limit is recorded (the caller decides block or allow).
 */
export function extractBody(collector: Collector, body: Buffer, contentType: string): void {
  const budget = collector.limits.maxBytes - collector.bytes
  if (body.length > budget) {
    collector.add('body', 'body', body.subarray(0, Math.max(0, budget)).toString('utf8'))
    collector.hit('bytes')
    return
  }
  extractTyped(collector, body, contentType, 'body')
}
