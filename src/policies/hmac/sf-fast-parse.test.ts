import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseDictionary, type BareItem, type Dictionary, type Item, type Parameters } from 'structured-headers'
import { parseDictionaryFast } from './sf-fast-parse.js'
import { byteSequenceBytes, parseDictionaryStrict, dictionaryKeys, DictionaryError } from './sf-dictionary.js'
import { createRandom, randomDictionary, mutate } from './test-sf-inputs.js'

function libraryParse(input: string): Dictionary | 'error' {
  try {
    return parseDictionary(input)
  } catch {
    return 'error'
  }
}

/** The fast parser's byte sequences are Buffers; the library's are ArrayBuffers with the same bytes. */
function withArrayBuffers(dict: Dictionary): Dictionary {
  const bare = (v: BareItem): BareItem => (Buffer.isBuffer(v) ? Uint8Array.from(v).buffer : v)
  const params = (p: Parameters): Parameters => new Map([...p].map(([k, v]) => [k, bare(v)]))
  const item = (i: Item): Item => [bare(i[0]), params(i[1])]
  return new Map(
    [...dict].map(([key, member]) => [key, Array.isArray(member[0]) ? [member[0].map(item), params(member[1])] : item(member as Item)]),
  )
}

test('the fast parser agrees with structured-headers on every input it accepts (generated and mutated)', () => {
  const random = createRandom(9421)
  let accepted = 0
  let total = 0
  for (let i = 0; i < 4000; i++) {
    const valid = randomDictionary(random)
    for (const input of [valid.text, ...Array.from({ length: 4 }, () => mutate(random, valid.text))]) {
      total++
      const fast = parseDictionaryFast(input)
      if (fast === undefined) continue
      accepted++
      const library = libraryParse(input)
      assert.notEqual(library, 'error', `fast parser accepted what the library refuses: ${JSON.stringify(input)}`)
      assert.deepStrictEqual(withArrayBuffers(fast), library, input)
      // Where it answers, a repeated key is never silently merged.
      assert.equal(fast.size, dictionaryKeys(input).length, input)
    }
  }
  // The fast path must actually carry the common case, not decline everything.
  assert.ok(accepted > total / 4, `accepted ${accepted} of ${total}`)
})

test('canonical inputs without decimals, dates or display strings take the fast path', () => {
  const random = createRandom(8941)
  for (let i = 0; i < 2000; i++) {
    const valid = randomDictionary(random)
    if (valid.needsLibrary || valid.duplicateKeys) continue
    assert.notEqual(parseDictionaryFast(valid.text), undefined, valid.text)
  }
})

test('declined: syntax errors, repeated keys, decimals, dates, display strings, loose base64', () => {
  for (const input of [
    'a=1, a=2', // repeated key: left to the strict path, which refuses it
    'a=1.5',
    'a=@1700000000',
    'a=%"caf%c3%a9"',
    'a=:YQ:', // unpadded
    'a=:YR==:', // stray bits
    'a=("x"',
    'a=1,',
    'a="unterminated',
    'a="bad \\q escape"',
    'A=1',
    'a=1234567890123456',
    'a=-',
    'a=?2',
    'a=(1  2)x',
  ]) {
    assert.equal(parseDictionaryFast(input), undefined, input)
  }
})

test('the strict parser refuses repeated keys on both paths and keeps the library error text', () => {
  assert.throws(() => parseDictionaryStrict('a=1, a=2'), (e: unknown) => e instanceof DictionaryError && e.message === 'duplicate dictionary key')
  assert.throws(() => parseDictionaryStrict('a=1.5, a=2'), (e: unknown) => e instanceof DictionaryError && e.message === 'duplicate dictionary key')
  assert.throws(() => parseDictionaryStrict('a=("x"'), (e: unknown) => e instanceof DictionaryError && /^not a structured-field dictionary: Parse error/.test(e.message))
})

test('dictionaryKeys: a colon inside a token does not open a byte sequence', () => {
  assert.deepEqual(dictionaryKeys('a=x:y, b=:AAAA:'), ['a', 'b'])
  assert.deepEqual(dictionaryKeys('a=x:y, a=t:z, c=1'), ['a', 'a', 'c'])
  assert.throws(() => parseDictionaryStrict('a=x:y, a=t:z, c=1.5'), /duplicate dictionary key/)
})

test('byte sequences read the same from either path (Buffer from the fast parser, ArrayBuffer from the library)', () => {
  const fastMember = parseDictionaryStrict('a=:YWJj:').get('a')!
  const libraryMember = parseDictionaryStrict('a=:YWJj:, b=1.5').get('a')!
  assert.ok(Buffer.isBuffer(fastMember[0]))
  assert.ok(libraryMember[0] instanceof ArrayBuffer)
  assert.deepEqual(byteSequenceBytes(fastMember[0]), Buffer.from('abc'))
  assert.deepEqual(byteSequenceBytes(libraryMember[0]), Buffer.from('abc'))
  assert.equal(byteSequenceBytes('YWJj'), undefined)
  assert.equal(byteSequenceBytes(new Uint16Array(2)), undefined)
})
