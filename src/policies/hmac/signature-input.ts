/**
 * RFC 9421 §4: parsing `Signature-Input` and `Signature` into one record per label.
 *
 * Both fields are RFC 8941 Dictionaries parsed by structured-headers; repeated labels are refused
 * (see sf-dictionary.ts), every label must appear in both fields, and the signature parameters
 * must have the types §2.3 gives them. The parsed inner list is kept as-is, because the verifier
 * must rebuild `@signature-params` from exactly the components and parameters received, in order.
 */
import type { InnerList, Item, Parameters } from 'structured-headers'
import { parseDictionaryStrict, DictionaryError } from './sf-dictionary.js'
import { serializeSignatureParams, type ComponentIdentifier } from './signature-base.js'

/** Upper bound on signatures examined per request, so a flood of labels costs nothing. */
export const MAX_SIGNATURES = 8

/** One signature found on a request. */
export interface ParsedSignature {
  label: string
  /** Covered components, in the signer's order. */
  components: ComponentIdentifier[]
  /** Signature parameters, in the signer's order. */
  params: Parameters
  /** `@signature-params` value, re-serialised from what was received. */
  signatureParams: string
  /** The raw signature bytes from the `Signature` field. */
  signature: Buffer
  created?: number | undefined
  expires?: number | undefined
  nonce?: string | undefined
  alg?: string | undefined
  keyid?: string | undefined
  tag?: string | undefined
}

/** Raised when the two fields cannot be parsed into signatures; `message` is the precise reason. */
export class SignatureInputError extends Error {}

const INTEGER_PARAMS = new Set(['created', 'expires'])
const STRING_PARAMS = new Set(['nonce', 'alg', 'keyid', 'tag'])

function isInnerList(member: Item | InnerList): member is InnerList {
  return Array.isArray(member[0])
}

function readParams(label: string, params: Parameters): Pick<ParsedSignature, 'created' | 'expires' | 'nonce' | 'alg' | 'keyid' | 'tag'> {
  const out: Record<string, string | number> = {}
  for (const [name, value] of params) {
    if (INTEGER_PARAMS.has(name)) {
      if (typeof value !== 'number' || !Number.isInteger(value)) throw new SignatureInputError(`${label}: ${name} must be an integer`)
      out[name] = value
    } else if (STRING_PARAMS.has(name)) {
      if (typeof value !== 'string') throw new SignatureInputError(`${label}: ${name} must be a string`)
      out[name] = value
    }
    // Unknown parameters are allowed (§2.3 registry is extensible); they are still signed.
  }
  return out
}

/**
 * Parses the two header values into signatures keyed by label (insertion order kept).
 * Throws a SignatureInputError on syntax errors, repeated labels, a label present in only one
 * field, a non-string component identifier, or a parameter of the wrong type.
 */
export function parseSignatureFields(signatureInput: string, signature: string): Map<string, ParsedSignature> {
  let inputs
  let signatures
  try {
    inputs = parseDictionaryStrict(signatureInput)
    signatures = parseDictionaryStrict(signature)
  } catch (error) {
    const message = error instanceof DictionaryError ? error.message : 'unparseable'
    throw new SignatureInputError(message === 'duplicate dictionary key' ? 'duplicate signature label' : message)
  }
  if (inputs.size === 0) throw new SignatureInputError('no signature labels')
  if (inputs.size > MAX_SIGNATURES || signatures.size > MAX_SIGNATURES) throw new SignatureInputError('too many signatures')
  for (const label of signatures.keys()) {
    if (!inputs.has(label)) throw new SignatureInputError(`label ${label} has a signature but no input`)
  }
  const out = new Map<string, ParsedSignature>()
  for (const [label, member] of inputs) {
    if (!isInnerList(member)) throw new SignatureInputError(`${label}: Signature-Input member must be an inner list`)
    const sigMember = signatures.get(label)
    if (sigMember === undefined) throw new SignatureInputError(`label ${label} has no signature`)
    if (isInnerList(sigMember) || !(sigMember[0] instanceof ArrayBuffer)) {
      throw new SignatureInputError(`${label}: Signature member must be a byte sequence`)
    }
    const [items, params] = member
    for (const item of items) {
      if (typeof item[0] !== 'string') throw new SignatureInputError(`${label}: component identifiers must be strings`)
    }
    out.set(label, {
      label,
      components: items,
      params,
      signatureParams: serializeSignatureParams(items, params),
      signature: Buffer.from(sigMember[0]),
      ...readParams(label, params),
    })
  }
  return out
}
