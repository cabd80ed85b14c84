import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createConsumeBatcher } from './consume-batch.js'
import type { LimitCheck } from './types.js'

/** One request of a command, decoded from CONSUME_SCRIPT's ARGV layout. */
interface DecodedRequest {
  nowMs: number | undefined
  /** Per limit: its key and its spec's six numbers. */
  limits: { key: string; spec: (string | number)[] }[]
}

/** Decodes a command's KEYS and ARGV as the script reads them. */
function decode(keys: string[], args: (string | number)[]): DecodedRequest[] {
  const specCount = Number(args[0])
  const specs = Array.from({ length: specCount }, (_, i) => args.slice(1 + i * 6, 7 + i * 6))
  const requests: DecodedRequest[] = []
  for (let a = 1 + specCount * 6; a < args.length; ) {
    let n = Number(args[a++])
    let nowMs: number | undefined
    if (n < 0) {
      n = -n
      nowMs = Number(args[a++])
    }
    const limits = []
    for (let i = 0; i < n; i++) {
      const ref = Number(args[a++]) - 1
      limits.push({ key: keys[ref % keys.length] as string, spec: specs[Math.floor(ref / keys.length)] as (string | number)[] })
    }
    requests.push({ nowMs, limits })
  }
  return requests
}

/** A fake Redis: records each command and answers every limit with `verdict` (or per request). */
function fakeRun(answerFor: (request: number) => unknown[] = () => [1, 1, 7, 100, 0, 0]) {
  const commands: { keys: string[]; args: (string | number)[]; requests: DecodedRequest[] }[] = []
  return {
    commands,
    run: async (keys: string[], args: (string | number)[]): Promise<unknown> => {
      const requests = decode(keys, args)
      commands.push({ keys, args, requests })
      const reply: unknown[] = []
      requests.forEach((r, i) => {
        const answer = answerFor(i)
        reply.push(answer[0])
        for (const _ of r.limits) reply.push(...(answer[0] === 1 ? answer.slice(1) : []))
        if (answer[0] !== 1) reply.push(answer[1])
      })
      return reply
    },
  }
}

const gcra = (key: string, limit = 10): LimitCheck => ({ key, algorithm: 'gcra', limit, windowMs: 1000 })

describe('consume batcher', () => {
  it('sends the calls of one event-loop turn as one command, each key and limit spec once', async () => {
    const fake = fakeRun()
    const consume = createConsumeBatcher({ keyPrefix: 'p:', run: fake.run })
    const sliding: LimitCheck = { key: 'c', algorithm: 'sliding-window', limit: 5, windowMs: 60_000, cost: 2 }
    const results = await Promise.all([consume([gcra('a')]), consume([gcra('b'), sliding], 1234.5), consume([gcra('a')]), consume([gcra('d')])])
    assert.equal(fake.commands.length, 1)
    const [command] = fake.commands
    assert.deepEqual(command?.keys, ['p:a', 'p:b', 'p:c', 'p:d'])
    assert.deepEqual(command?.args, [
      2,
      ...['gcra', 10, 1000, 10, 1, 0],
      ...['sliding-window', 5, 60_000, 5, 2, 0],
      ...[1, 1],
      ...[-2, 1234.5, 2, 7],
      ...[1, 1],
      ...[1, 4],
    ])
    const gcraSpec = ['gcra', 10, 1000, 10, 1, 0]
    assert.deepEqual(command?.requests, [
      { nowMs: undefined, limits: [{ key: 'p:a', spec: gcraSpec }] },
      { nowMs: 1234.5, limits: [{ key: 'p:b', spec: gcraSpec }, { key: 'p:c', spec: ['sliding-window', 5, 60_000, 5, 2, 0] }] },
      { nowMs: undefined, limits: [{ key: 'p:a', spec: gcraSpec }] },
      { nowMs: undefined, limits: [{ key: 'p:d', spec: gcraSpec }] },
    ])
    assert.deepEqual(results[1], [
      { allowed: true, limit: 10, remaining: 7, resetMs: 100, retryAfterMs: 0, delayMs: 0 },
      { allowed: true, limit: 5, remaining: 7, resetMs: 100, retryAfterMs: 0, delayMs: 0 },
    ])
    // A later turn is a new command.
    await consume([gcra('e')])
    assert.equal(fake.commands.length, 2)
  })

  it('while a command is in flight, holds new calls and sends them together when it settles', async () => {
    const replies: { resolve: (reply: unknown) => void; reject: (error: unknown) => void; keys: string[] }[] = []
    const run = (keys: string[], args: (string | number)[]): Promise<unknown> =>
      new Promise((resolve, reject) => replies.push({ keys, reject, resolve: () => resolve(decode(keys, args).flatMap(() => [1, 1, 7, 100, 0, 0])) }))
    const consume = createConsumeBatcher({ keyPrefix: '', run })
    const first = consume([gcra('a')])
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(replies.length, 1)
    // Three more turns while the first command is unanswered: nothing goes out.
    const held = [consume([gcra('b')])]
    await new Promise((resolve) => setImmediate(resolve))
    held.push(consume([gcra('c')]))
    await new Promise((resolve) => setImmediate(resolve))
    held.push(consume([gcra('d')]))
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(replies.length, 1)
    // A failed command releases the held calls too.
    replies[0]?.reject(new Error('Connection is closed.'))
    await assert.rejects(first, /Connection is closed/)
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(replies.map((r) => r.keys), [['a'], ['b', 'c', 'd']])
    replies[1]?.resolve(undefined)
    assert.deepEqual((await Promise.all(held)).map((r) => r[0]?.remaining), [7, 7, 7])
    // Idle again: the next call goes out at the end of its own turn.
    const later = consume([gcra('e')])
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(replies.length, 3)
    replies[2]?.resolve(undefined)
    assert.equal((await later)[0]?.allowed, true)
  })

  it('splits a large turn into commands of at most maxChecksPerCommand checks', async () => {
    const fake = fakeRun()
    const consume = createConsumeBatcher({ keyPrefix: '', run: fake.run, maxChecksPerCommand: 4 })
    const calls = [consume([gcra('a'), gcra('b'), gcra('c')]), consume([gcra('d'), gcra('e')]), consume([gcra('f')]), consume(Array.from({ length: 6 }, (_, i) => gcra(`g${i}`)))]
    const results = await Promise.all(calls)
    assert.deepEqual(fake.commands.map((c) => c.keys.length), [3, 3, 6], 'a call is never split; an oversized call goes alone')
    assert.deepEqual(results.map((r) => r.length), [3, 2, 1, 6])
  })

  it('fails only the request the script reports as failed', async () => {
    const fake = fakeRun((request) => (request === 1 ? [0, 'WRONGTYPE Operation against a key holding the wrong kind of value'] : [1, 1, 3, 10, 0, 0]))
    const consume = createConsumeBatcher({ keyPrefix: '', run: fake.run })
    const [first, second, third] = await Promise.allSettled([consume([gcra('a')]), consume([gcra('b')]), consume([gcra('c')])])
    assert.equal(first.status, 'fulfilled')
    assert.equal(second.status, 'rejected')
    assert.match(String((second as PromiseRejectedResult).reason), /WRONGTYPE/)
    assert.equal(third.status, 'fulfilled')
    assert.equal((third as PromiseFulfilledResult<{ remaining: number }[]>).value[0]?.remaining, 3)
  })

  it('rejects every call of a command that fails as a whole', async () => {
    const consume = createConsumeBatcher({ keyPrefix: '', run: () => Promise.reject(new Error('Command timed out')) })
    const settled = await Promise.allSettled([consume([gcra('a')]), consume([gcra('b')])])
    assert.deepEqual(settled.map((s) => s.status), ['rejected', 'rejected'])
  })

  it('answers an empty call at once without a command', async () => {
    const fake = fakeRun()
    const consume = createConsumeBatcher({ keyPrefix: '', run: fake.run })
    assert.deepEqual(await consume([]), [])
    assert.equal(fake.commands.length, 0)
  })
})
