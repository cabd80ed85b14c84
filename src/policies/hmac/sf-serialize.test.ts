import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as library from 'structured-headers'
import { DisplayString, Token, type BareItem, type Dictionary, type InnerList, type Item } from 'structured-headers'
import * as fast from './sf-serialize.js'
import { createRandom, randomDictionary } from './test-sf-inputs.js'

/** The output, or the thrown error's class and message: both must match the library. */
function outcome(f: () => string): string {
  try {
    return `ok ${f()}`
  } catch (error) {
    return `${(error as Error).constructor.name}: ${(error as Error).message}`
  }
}

function assertSame(fastFn: () => string, libraryFn: () => string, what: string): void {
  assert.equal(outcome(fastFn), outcome(libraryFn), what)
}

test('serialises every parsed dictionary, member, item and parameter set exactly like structured-headers', () => {
  const random = createRandom(9651)
  for (let i = 0; i < 3000; i++) {
    const { text } = randomDictionary(random)
    let dict: Dictionary
    try {
      dict = library.parseDictionary(text)
    } catch {
      continue
    }
    assertSame(() => fast.serializeDictionary(dict), () => library.serializeDictionary(dict), text)
    for (const member of dict.values()) {
      if (Array.isArray(member[0])) assertSame(() => fast.serializeInnerList(member as InnerList), () => library.serializeInnerList(member as InnerList), text)
      else assertSame(() => fast.serializeItem(member as Item), () => library.serializeItem(member as Item), text)
      assertSame(() => fast.serializeParameters(member[1]), () => library.serializeParameters(member[1]), text)
    }
  }
})

test('values built in code: the same strings, and the same errors for what cannot be serialised', () => {
  const values: BareItem[] = [
    0, -0, 42, -7, 999_999_999_999_999, -999_999_999_999_999, 1_000_000_000_000_000, -1_000_000_000_000_000, 1.5, -0.125, 1.0005, Number.NaN,
    '', 'plain', 'with "quotes" and \\ backslash', 'tab\there', 'non-ascii é', 'newline\n',
    true, false,
    new Token('foo:bar/baz'), new Token('*'),
    new Uint8Array([1, 2, 3]).buffer, new Uint8Array([]), Buffer.from('hello'), Buffer.from('xxhelloxx').subarray(2, 7), new DataView(new Uint8Array([9, 8, 7]).buffer, 1),
    new Date(1_700_000_000_000), new DisplayString('café'),
  ]
  for (const value of values) {
    const what = String(value)
    assertSame(() => fast.serializeBareItem(value), () => library.serializeBareItem(value), what)
    assertSame(() => fast.serializeItem([value, new Map([['p', value]])]), () => library.serializeItem([value, new Map([['p', value]])]), what)
  }
  for (const key of ['a', '*', 'a-b_c.d*9', '', 'A', '9a', 'a b', 'é']) {
    assertSame(() => fast.serializeParameters(new Map([[key, 1]])), () => library.serializeParameters(new Map([[key, 1]])), key)
    assertSame(() => fast.serializeDictionary(new Map([[key, [1, new Map()]]])), () => library.serializeDictionary(new Map([[key, [1, new Map()]]])), key)
  }
  const list: InnerList = [[['@method', new Map()], ['@query-param', new Map<string, BareItem>([['name', 'id']])]], new Map<string, BareItem>([['created', 1], ['keyid', 'k'], ['x', true]])]
  assert.equal(fast.serializeInnerList(list), '("@method" "@query-param";name="id");created=1;keyid="k";x')
  assert.equal(fast.serializeInnerList([[], new Map()]), '()')
})
