import { test } from 'node:test'
import assert from 'node:assert/strict'
import { apiKeyState } from './key-state.js'

test('a plain key is active', () => {
  assert.equal(apiKeyState({}, 1000), 'active')
})

test('revocation applies from its instant and wins over everything', () => {
  assert.equal(apiKeyState({ revokedAt: 1000 }, 999), 'active')
  assert.equal(apiKeyState({ revokedAt: 1000 }, 1000), 'revoked')
  assert.equal(apiKeyState({ revokedAt: 10, expiresAt: 5, replacedBy: 'k2', graceUntil: 50 }, 20), 'revoked')
})

test('expiry is exclusive of its instant', () => {
  assert.equal(apiKeyState({ expiresAt: 1000 }, 999), 'active')
  assert.equal(apiKeyState({ expiresAt: 1000 }, 1000), 'expired')
})

test('a rotated key works until the end of its grace period', () => {
  const old = { replacedBy: 'key_new', graceUntil: 5000 }
  assert.equal(apiKeyState(old, 4999), 'active')
  assert.equal(apiKeyState(old, 5000), 'rotated')
  assert.equal(apiKeyState({ replacedBy: 'key_new' }, 0), 'rotated', 'no grace recorded means none')
  assert.equal(apiKeyState({ ...old, expiresAt: 3000 }, 4000), 'expired', 'grace does not outlive expiry')
})
