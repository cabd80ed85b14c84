/**
 * The CLI as users run it: validate (every error with pointer and line), schema, and `start`
 * draining in-flight requests on SIGTERM.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, writeFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { runCli, spawnCli } from '../helpers/cli.js'
import { startUpstream } from '../helpers/gateway.js'

let dir: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-cli-'))
})
after(async () => {
  await rm(dir, { recursive: true, force: true })
})

test('validate lists every error with its JSON pointer and line, and exits non-zero', async () => {
  const file = join(dir, 'bad.yaml')
  await writeFile(file, ['upstreams:', '  api: { url: "ftp://nope" }', 'routes:', '  - name: r', '    match: { path: /x }', '    upstream: missing', '    policies:', '      - name: ip-filter', '        config: { deny: [not-an-ip] }', 'bogus: 1', ''].join('\n'))
  const { code, output } = await runCli(['validate', '-c', file])
  assert.equal(code, 1)
  assert.match(output, /line 2 +\/upstreams\/api\/url +must match pattern/)
  assert.match(output, /line 10 +\/bogus +unknown property/)
  // Reference checks run once the shape is valid; fix the shape and they appear with their lines.
  await writeFile(file, ['upstreams:', '  api: { url: "http://127.0.0.1:9" }', 'routes:', '  - name: r', '    match: { path: /x }', '    upstream: missing', '    policies:', '      - name: ip-filter', '        config: { deny: [not-an-ip] }', ''].join('\n'))
  const second = await runCli(['validate', '-c', file])
  assert.equal(second.code, 1)
  assert.match(second.output, /line 6 +\/routes\/0\/upstream +unknown upstream "missing"/)
  assert.match(second.output, /line 9 +\/routes\/0\/policies\/0\/config\/deny\/0 +must match format "ip-or-cidr"/)
})

test('validate accepts a good file', async () => {
  const file = join(dir, 'good.yaml')
  await writeFile(file, 'upstreams:\n  api: { url: "http://127.0.0.1:9" }\nroutes:\n  - { name: r, match: { path: /x }, upstream: api }\n')
  const { code, output } = await runCli(['validate', '-c', file])
  assert.equal(code, 0, output)
  assert.match(output, /valid \(1 routes\)/)
})

test('schema prints a JSON Schema including policy schemas', async () => {
  const { code, output } = await runCli(['schema'])
  assert.equal(code, 0)
  const schema = JSON.parse(output) as { properties: Record<string, unknown>; 'x-policies': Record<string, unknown> }
  assert.ok(schema.properties.routes)
  assert.ok(schema['x-policies']['ip-filter'])
})

test('SIGTERM: in-flight requests finish, new connections are refused, the process exits 0', async () => {
  let release: () => void = () => undefined
  const held = new Promise<void>((resolve) => (release = resolve))
  let arrived: () => void = () => undefined
  const arrival = new Promise<void>((resolve) => (arrived = resolve))
  const upstream = await startUpstream((req, res) => {
    if (req.url === '/slow') {
      arrived()
      void held.then(() => res.end('finished'))
    } else res.end('fast')
  })
  const file = join(dir, 'drain.yaml')
  await writeFile(file, `listen: { http: { host: 127.0.0.1, port: 0 } }\nadmin: { host: 127.0.0.1, port: 0 }\nstorage: { data: "sqlite::memory:" }\nupstreams:\n  api: { url: "${upstream.url}" }\nroutes:\n  - { name: r, match: { path: /* }, upstream: api }\n`)
  const cli = spawnCli(['start', '-c', file, '--no-watch'], { PORTCULLIS_HOME: join(dir, 'home') })
  try {
    const [, url] = await cli.waitFor(/"gateway":"(http:\/\/[^"]+)"/)
    const inflight = request(`${url}/slow`)
    await arrival
    cli.child.kill('SIGTERM')
    await cli.waitFor(/draining/)
    // The drain waits for the held request; release it and it completes normally.
    release()
    const res = await inflight
    assert.equal(res.statusCode, 200)
    assert.equal(await res.body.text(), 'finished')
    assert.equal(await cli.exited, 0)
    await assert.rejects(request(`${url}/fast`), /ECONNREFUSED/)
  } finally {
    cli.child.kill('SIGKILL')
    await upstream.close()
  }
})
