import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createConsumeBatcher } from './consume-batch.js'
import type { LimitCheck } from './types.js'

/** A fake Redis: records each command and answers every limit with `verdict` (or per request). */
function fakeRun(answerFor: (request: number) => unknown[] = () => [1, 1, 7, 100, 0, 0]) {
  const commands: { keys: string[]; args: (string | number)[] }[] = []
  return {
    commands,
    run: async (keys: string[], args: (string | number)[]): Promise<unknown> => {
      commands.push({ keys, args })
      const specs = Number(args[0])
      const reply: unknown[] = []
      let request = 0
      for (let a = 1 + specs * 6; a < args.length; a += 2 + Number(args[a + 1])) {
        const answer = answerFor(request++)
        reply.push(answer[0])
        for (let i = 0; i < Number(args[a + 1]); i++) reply.push(...(answer[0] === 1 ? answer.slice(1) : []))
        if (answer[0] !== 1) reply.push(answer[1])
      }
      return reply
    },
  }
}

const gcra = (key: string, limit = 10): LimitCheck => ({ key, algorithm: 'gcra', limit, windowMs: 1000 })

describe('consume batcher', () => {
  it('sends the calls of one event-loop turn as one command, limit numbers once per spec', async () => {
    const fake = fakeRun()
    const consume = createConsumeBatcher({ keyPrefix: 'p:', run: fake.run })
    const results = await Promise.all([
      consume([gcra('a')]),
      consume([gcra('b'), { key: 'c', algorithm: 'sliding-window', limit: 5, windowMs: 60_000, cost: 2 }], 1234.5),
      consume([gcra('d')]),
    ])
    assert.equal(fake.commands.length, 1)
    const [command] = fake.commands
    assert.deepEqual(command?.keys, ['p:a', 'p:b', 'p:c', 'p:d'])
    assert.deepEqual(command?.args, [
      2,
      ...['gcra', 10, 1000, 10, 1, 0],
      ...['sliding-window', 5, 60_000, 5, 2, 0],
      ...['', 1, 1],
      ...[1234.5, 2, 1, 2],
      ...['', 1, 1],
    ])
    assert.deepEqual(results[1], [
      { allowed: true, limit: 10, remaining: 7, resetMs: 100, retryAfterMs: 0, delayMs: 0 },
      { allowed: true, limit: 5, remaining: 7, resetMs: 100, retryAfterMs: 0, delayMs: 0 },
    ])
    // A later turn is a new command.
    await consume([gcra('e')])
    assert.equal(fake.commands.length, 2)
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
