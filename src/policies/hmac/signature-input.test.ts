import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseSignatureFields, SignatureInputError } from './signature-input.js'
import { dictionaryKeys } from './sf-dictionary.js'

const INPUT = 'sig1=("@method" "@target-uri" "@query-param";name="a b");created=1700000000;keyid="hk_1";nonce="n-1";alg="hmac-sha256";tag="t";x-ext=1'
const SIG = 'sig1=:AAAA:'

test('parses components and parameters in order; @signature-params re-serialised exactly', () => {
  const sig = parseSignatureFields(INPUT, SIG).get('sig1')!
  assert.deepEqual(sig.components.map((c) => c[0]), ['@method', '@target-uri', '@query-param'])
  assert.equal(sig.signatureParams, INPUT.slice('sig1='.length))
  assert.deepEqual([sig.created, sig.keyid, sig.nonce, sig.alg, sig.tag], [1700000000, 'hk_1', 'n-1', 'hmac-sha256', 't'])
  assert.deepEqual(sig.signature, Buffer.from([0, 0, 0]))
})

test('whitespace variants parse to the canonical serialisation', () => {
  const sig = parseSignatureFields('  sig1=( "@method"   "@path" );created=1;keyid="k"', 'sig1=:AAAA:').get('sig1')!
  assert.equal(sig.signatureParams, '("@method" "@path");created=1;keyid="k"')
})

test('several labels, each with its own signature', () => {
  const parsed = parseSignatureFields(`${INPUT}, sig2=("@method");keyid="k2"`, 'sig2=:AQID:, sig1=:AAAA:')
  assert.deepEqual([...parsed.keys()], ['sig1', 'sig2'])
  assert.deepEqual(parsed.get('sig2')!.signature, Buffer.from([1, 2, 3]))
})

test('refused: duplicate labels (in either field), label in one field only, wrong types, garbage', () => {
  const bad: [string, string, RegExp][] = [
    [`${INPUT}, sig1=("@method");keyid="x"`, SIG, /duplicate signature label/],
    [INPUT, 'sig1=:AAAA:, sig1=:AQID:', /duplicate signature label/],
    [INPUT, 'sig2=:AAAA:', /no input|no signature/],
    [INPUT, `${SIG}, sig2=:AAAA:`, /no input/],
    ['sig1=("@method");created="1"', SIG, /created must be an integer/],
    ['sig1=("@method");created=1.5', SIG, /created must be an integer/],
    ['sig1=("@method");keyid=k', SIG, /keyid must be a string/],
    ['sig1=("@method");nonce=?1', SIG, /nonce must be a string/],
    ['sig1=(@method)', SIG, /not a structured-field|strings/],
    ['sig1=(method)', SIG, /component identifiers must be strings/],
    ['sig1="@method"', SIG, /inner list/],
    ['sig1=("@method")', 'sig1="AAAA"', /byte sequence/],
    ['sig1=("@method")', 'sig1=:AA!A:', /not a structured-field/],
    ['', '', /no signature labels/],
    ['sig1=("@method"', SIG, /not a structured-field/],
  ]
  for (const [input, signature, message] of bad) {
    assert.throws(() => parseSignatureFields(input, signature), (e: unknown) => e instanceof SignatureInputError && message.test(e.message), `${input} | ${signature}`)
  }
})

test('too many labels are refused before any work', () => {
  const labels = Array.from({ length: 9 }, (_, i) => `s${i}`)
  const input = labels.map((l) => `${l}=("@method");keyid="k"`).join(', ')
  const sig = labels.map((l) => `${l}=:AAAA:`).join(', ')
  assert.throws(() => parseSignatureFields(input, sig), /too many/)
})

test('dictionaryKeys ignores commas and keys inside strings, byte sequences and inner lists', () => {
  assert.deepEqual(dictionaryKeys('a=("x, b=1" "y");p="q, c=2", d=:YQ==:, e, f=?0;g=1'), ['a', 'd', 'e', 'f'])
  assert.deepEqual(dictionaryKeys('a="esc\\" , z=1", b=1'), ['a', 'b'])
})
