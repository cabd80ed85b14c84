/**
 * RFC 9421 §4: parsing `Signature-Input` and `Signature` into one record per label.
 *
 * Both fields are RFC 8941 Dictionaries; repeated labels are refused
 * (see sf-dictionary.ts), every label must appear in both fields, and the signature parameters
 * must have the types §2.3 gives them. The parsed inner list is kept as-is, because the verifier
 * must rebuild `@signature-params` from exactly the components and parameters received, in order.
 */
import type { BareItem, InnerList, Item, Parameters } from 'structured-headers'
import { byteSequenceBytes, parseDictionaryStrict, DictionaryError } from './sf-dictionary.js'
import { serializeSignatureParams, type ComponentIdentifier } from './signature-base.js'
import { serializeItem } from './sf-serialize.js'

/** Upper bound on signatures examined per request, so a flood of labels costs nothing. */
export const MAX_SIGNATURES = 8

/** One signature found on a request. */
export interface ParsedSignature {
  label: string
  /** Covered components, in the signer's order. */
  components: ComponentIdentifier[]
  /** Each component serialised (`"@method"`, `"@query-param";name="id"`): computed once, used thrice. */
  identifiers: string[]
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


function isInnerList(member: Item | InnerList): member is InnerList {
  return Array.isArray(member[0])
}

function integerParam(label: string, name: string, value: BareItem): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new SignatureInputError(`${label}: ${name} must be an integer`)
  return value
}

function stringParam(label: string, name: string, value: BareItem): string {
  if (typeof value !== 'string') throw new SignatureInputError(`${label}: ${name} must be a string`)
  return value
}

/** Reads the typed parameters into `sig` (fixed property names: no dictionary-mode objects). */
function readParams(sig: ParsedSignature, params: Parameters): void {
  for (const [name, value] of params) {
    switch (name) {
      case 'created':
        sig.created = integerParam(sig.label, name, value)
        break
      case 'expires':
        sig.expires = integerParam(sig.label, name, value)
        break
      case 'nonce':
        sig.nonce = stringParam(sig.label, name, value)
        break
      case 'alg':
        sig.alg = stringParam(sig.label, name, value)
        break
      case 'keyid':
        sig.keyid = stringParam(sig.label, name, value)
        break
      case 'tag':
        sig.tag = stringParam(sig.label, name, value)
        break
      // Unknown parameters are allowed (§2.3 registry is extensible); they are still signed.
    }
  }
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
    const signature = byteSequenceBytes(sigMember[0])
    if (signature === undefined) throw new SignatureInputError(`${label}: Signature member must be a byte sequence`)
    const [items, params] = member
    for (const item of items) {
      if (typeof item[0] !== 'string') throw new SignatureInputError(`${label}: component identifiers must be strings`)
    }
    const identifiers = items.map((item) => serializeItem(item))
    const sig: ParsedSignature = {
      label,
      components: items,
      identifiers,
      params,
      signatureParams: serializeSignatureParams(items, params, identifiers),
      signature,
      created: undefined,
      expires: undefined,
      nonce: undefined,
      alg: undefined,
      keyid: undefined,
      tag: undefined,
    }
    readParams(sig, params)
    out.set(label, sig)
  }
  return out
}
