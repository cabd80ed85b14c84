import { test } from 'node:test'
import assert from 'node:assert/strict'
import { brotliCompressSync } from 'node:zlib'
import { createContentDigest, verifyContentDigest } from './content-digest.js'

const HELLO = Buffer.from('{"hello": "world"}')
const HELLO_LF = Buffer.from('{"hello": "world"}\n')

test('RFC 9530 App. D / B / C values, byte for byte', () => {
  assert.equal(createContentDigest(HELLO, ['sha-512']), 'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:')
  assert.equal(createContentDigest(HELLO, ['sha-256']), 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:')
  assert.equal(createContentDigest(HELLO_LF), 'sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:')
  assert.equal(createContentDigest(HELLO_LF, ['sha-512']), 'sha-512=:YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCsyRZOtw8MjkM7iw7yZ/WkppmM44T3qg==:')
  assert.equal(createContentDigest(Buffer.alloc(0)), 'sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:')
  assert.equal(createContentDigest(HELLO_LF.subarray(10)), 'sha-256=:jjcgBDWNAtbYUXI37CVG3gRuGOAjaaDRGpIUFsdyepQ=:')
  assert.equal(createContentDigest(Buffer.from('{"title": "New Title"}\n')), 'sha-256=:mEkdbO7Srd9LIOegftO0aBX+VPTVz7/CSHes2Z27gc4=:')
  assert.equal(createContentDigest(Buffer.from('{\n  "id": "123",\n  "title": "New Title"\n}\n')), 'sha-256=:uVSlinTTdQUwm2On4k8TJUikGN1bf/Ds8WPX4oe0h9I=:')
  assert.equal(
    createContentDigest(Buffer.from('{\n  "status": "created",\n  "id": "123",\n  "ts": 1569327729,\n  "instance": "/books/123"\n}\n')),
    'sha-256=:yXIGDTN5VrfoyisKlXgRKUHHMs35SNtyC3szSz1dbO8=:',
  )
  assert.equal(
    createContentDigest(Buffer.from('{\n  "title": "Not Found",\n  "detail": "Cannot PATCH a non-existent resource",\n  "status": 404\n}\n')),
    'sha-256=:EXB0S2VF2H7ijkAVJkH1Sm0pBho0iDZcvVUHHXTTZSA=:',
  )
  assert.equal(createContentDigest(Buffer.from('{"message": "good dog"}'), ['sha-512']), 'sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:')
})

test('RFC 9530 brotli content (B.4-B.6): digest of the content-coded bytes, both algorithms', () => {
  const brotli = brotliCompressSync(HELLO_LF)
  assert.equal(brotli.toString('hex'), '0b09807b2268656c6c6f223a2022776f726c64227d0a03')
  assert.equal(
    createContentDigest(brotli, ['sha-256', 'sha-512']),
    'sha-256=:d435Qo+nKZ+gLcUHn7GQtQ72hiBVAgqoLsZnZPiTGPk=:, sha-512=:db7fdBbgZMgX1Wb2MjA8zZj+rSNgfmDCEEXM8qLWfpfoNY0sCpHAzZbj09X1/7HAb7Od5Qfto4QpuBsFbUO3dQ==:',
  )
})

test('verify: matching digests pass, with several algorithms all are checked', () => {
  assert.deepEqual(verifyContentDigest('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:', HELLO), { ok: true, algorithms: ['sha-256'] })
  const both = createContentDigest(HELLO, ['sha-512', 'sha-256'])
  assert.deepEqual(verifyContentDigest(both, HELLO), { ok: true, algorithms: ['sha-512', 'sha-256'] })
  // Unknown and deprecated algorithms are ignored next to an accepted one.
  assert.equal(verifyContentDigest(`md5=:Sd/dVLAcvNLSq16eXua5uQ==:, foo=:AAAA:, ${both}`, HELLO).ok, true)
})

test('verify refuses: mismatch, one of two wrong, only deprecated/unknown, bad sf-binary, duplicates, wrong types', () => {
  const reason = (field: string, body = HELLO) => {
    const r = verifyContentDigest(field, body)
    return r.ok ? 'ok' : r.reason
  }
  assert.equal(reason('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:', Buffer.from('{"hello": "World"}')), 'digest_mismatch')
  assert.equal(reason('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, sha-512=:YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCsyRZOtw8MjkM7iw7yZ/WkppmM44T3qg==:'), 'digest_mismatch')
  assert.equal(reason('md5=:Sd/dVLAcvNLSq16eXua5uQ==:, sha=:07CavjDP4u3/TungoUHJO/Wzr4c=:'), 'digest_unsupported')
  assert.equal(reason('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7k:'), 'digest_mismatch', 'truncated digest')
  // RFC 8941 §4.2.7: parsers SHOULD NOT fail on missing padding; the bytes are the same.
  assert.equal(reason('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE:'), 'ok')
  assert.equal(reason('sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg==:', HELLO_LF), 'digest_malformed', 'extra padding (RFC source typo) is invalid sf-binary')
  assert.equal(reason('sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE='), 'digest_malformed')
  assert.equal(reason('sha-256="X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="'), 'digest_malformed')
  assert.equal(reason('sha-256=:AAAA:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:'), 'digest_malformed', 'duplicate member')
  assert.equal(reason(''), 'digest_unsupported')
})
