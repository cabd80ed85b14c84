import { test } from 'node:test'
import assert from 'node:assert/strict'
import { clientResponseHeaders } from './headers.js'

test("client response headers: hop-by-hop fields dropped, the gateway's own fields added where the upstream sent none", () => {
  const out = clientResponseHeaders(
    { 'content-type': 'application/json', connection: 'keep-alive, x-hop', 'keep-alive': 'timeout=5', 'x-hop': '1', 'x-request-id': 'from-upstream' },
    { 'x-request-id': 'from-gateway', ratelimit: '"r";r=1;t=1' },
  )
  assert.deepEqual(out, { 'content-type': 'application/json', 'x-request-id': 'from-upstream', ratelimit: '"r";r=1;t=1' })
  assert.deepEqual(clientResponseHeaders({ 'content-type': 'text/plain' }, { 'x-request-id': 'id-1' }), { 'content-type': 'text/plain', 'x-request-id': 'id-1' })
})
