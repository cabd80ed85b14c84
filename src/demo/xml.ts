/**
 * XML in and out for the demo API. XML has no types, so incoming documents are read against the
 * JSON schema of the body (numbers become numbers, repeated children become arrays) and then go
 * through the very same Ajv validation as JSON. DOCTYPEs are refused outright: no entity
 * expansion, no external entities.
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser'
import type { TSchema } from 'typebox'

/** Thrown when a document is not well-formed XML (the caller answers 400). */
export class XmlSyntaxError extends Error {}

/** Names of array items in the XML representation (`<tags><tag>a</tag></tags>`). */
export type ItemNames = Readonly<Record<string, string>>

/** Reads and writes XML with one set of parser/builder options, built once per API instance. */
export interface XmlCodec {
  /** Parses a document whose root must be `rootName`, converted by `schema` to JSON values. */
  parse(text: string, rootName: string, schema: TSchema): unknown
  /** Serialises a JSON value under `rootName`; arrays nest their items under `itemNames[key]`. */
  build(rootName: string, value: unknown, itemNames: ItemNames): string
}

const NUMBER = /^-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/

/** Creates the XML codec. */
export function createXmlCodec(): XmlCodec {
  const parser = new XMLParser({
    // Keep every text as a string; the schema decides what becomes a number.
    parseTagValue: false,
    ignoreAttributes: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    trimValues: true,
    maxNestedTags: 16,
  })
  const builder = new XMLBuilder({ format: false, suppressEmptyNode: false })
  return {
    parse(text, rootName, schema) {
      // DOCTYPE is the door to entity expansion and XXE; a JSON-shaped API never needs one.
      if (/<!DOCTYPE/i.test(text)) throw new XmlSyntaxError('DOCTYPE declarations are not allowed.')
      const check = XMLValidator.validate(text)
      if (check !== true) throw new XmlSyntaxError(`Malformed XML at line ${check.err.line}: ${check.err.msg}`)
      let doc: Record<string, unknown>
      try {
        doc = parser.parse(text) as Record<string, unknown>
      } catch {
        // The parser enforces limits the validator does not (nesting depth, entity counts).
        throw new XmlSyntaxError('The XML document exceeds the parser limits.')
      }
      const roots = Object.keys(doc)
      if (roots.length !== 1 || Array.isArray(doc[roots[0]!])) throw new XmlSyntaxError('An XML document must have exactly one root element.')
      if (roots[0] !== rootName) throw new XmlSyntaxError(`The root element must be <${rootName}>.`)
      return fromXml(doc[rootName], schema)
    },
    build(rootName, value, itemNames) {
      return '<?xml version="1.0" encoding="UTF-8"?>' + builder.build({ [rootName]: toXml(value, itemNames) })
    },
  }
}

/**
 * Converts a parsed XML node to the JSON shape the schema describes. Anything that does not fit
 * is passed through as-is, so Ajv reports it with a pointer instead of it being lost here.
 */
function fromXml(node: unknown, schema: TSchema | undefined): unknown {
  const s = (schema ?? {}) as Record<string, unknown>
  const type = s.type
  if (type === 'number' || type === 'integer') {
    return typeof node === 'string' && NUMBER.test(node) ? Number(node) : node
  }
  if (type === 'boolean') return node === 'true' ? true : node === 'false' ? false : node
  if (type === 'array') {
    if (node === '') return []
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return node
    // `<tags><tag>a</tag><tag>b</tag></tags>`: the single child name is the item name, whatever it is.
    const children = Object.values(node as Record<string, unknown>)
    if (children.length !== 1) return node
    const items = Array.isArray(children[0]) ? children[0] : [children[0]]
    return items.map((item: unknown) => fromXml(item, s.items as TSchema | undefined))
  }
  if (type === 'object') {
    if (node === '') return {}
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return node
    const props = (s.properties ?? {}) as Record<string, TSchema>
    const extra = typeof s.additionalProperties === 'object' ? (s.additionalProperties as TSchema) : undefined
    const out: Record<string, unknown> = {}
    for (const [key, child] of Object.entries(node as Record<string, unknown>)) {
      const childSchema = Object.hasOwn(props, key) ? props[key] : extra
      // A repeated element where one value is expected stays an array, which the schema rejects.
      const value = Array.isArray(child) && (childSchema as { type?: unknown } | undefined)?.type !== 'array' ? child : fromXml(child, childSchema)
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
    }
    return out
  }
  return node
}

function toXml(value: unknown, itemNames: ItemNames, itemName = 'item'): unknown {
  if (Array.isArray(value)) return { [itemName]: value.map((v) => toXml(v, itemNames)) }
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [key, child] of Object.entries(value)) {
    // null means "absent" in XML (e.g. `nextCursor` on the last page).
    if (child === null || child === undefined) continue
    out[key] = toXml(child, itemNames, itemNames[key])
  }
  return out
}
