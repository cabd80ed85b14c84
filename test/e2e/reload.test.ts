/**
 * Hot reload: swapped atomically under continuous load with zero failed requests; a broken file
 * is refused while the previous config keeps serving.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, writeFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { startGateway, startUpstream } from '../helpers/gateway.js'
import { loadConfigFile } from '../../src/config/load.js'
import { createRegistry } from '../../src/policies/registry.js'

let blue: Awaited<ReturnType<typeof startUpstream>>
let green: Awaited<ReturnType<typeof startUpstream>>
let dir: string

before(async () => {
  blue = await startUpstream((_req, res) => res.end('blue'))
  green = await startUpstream((_req, res) => res.end('green'))
  dir = await mkdtemp(join(tmpdir(), 'portcullis-reload-'))
})
after(async () => {
  await blue.close()
  await green.close()
  await rm(dir, { recursive: true, force: true })
})

function yamlFor(color: 'blue' | 'green', extra = ''): string {
  return `listen:
  http: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
storage: { state: memory, data: "sqlite::memory:" }
upstreams:
  blue: { url: "${blue.url}" }
  green: { url: "${green.url}" }
routes:
  - name: main
    match: { path: /* }
    upstream: ${color}
${extra}`
}

test('reload under continuous load: zero failed requests, the new config takes over', async () => {
  const path = join(dir, 'load.yaml')
  await writeFile(path, yamlFor('blue'))
  const loaded = await loadConfigFile(path, createRegistry())
  assert.ok(loaded.ok)
  const gw = await startGateway({}, { config: loaded.config, configPath: path })
  const seen = new Map<string, number>()
  const failures: string[] = []
  let running = true
  const worker = async (): Promise<void> => {
    while (running) {
      try {
        const res = await request(`${gw.url}/x`)
        const text = await res.body.text()
        if (res.statusCode !== 200) failures.push(`${res.statusCode} ${text}`)
        else seen.set(text, (seen.get(text) ?? 0) + 1)
      } catch (error) {
        failures.push(String(error))
      }
    }
  }
  const workers = Array.from({ length: 8 }, worker)
  try {
    for (let i = 0; i < 10; i++) {
      await writeFile(path, yamlFor(i % 2 === 0 ? 'green' : 'blue'))
      const result = await gw.gateway.reload()
      assert.ok(result.ok, 'each reload is accepted')
    }
    running = false
    await Promise.all(workers)
    assert.deepEqual(failures, [])
    assert.ok((seen.get('blue') ?? 0) > 0 && (seen.get('green') ?? 0) > 0, `both configs served: ${JSON.stringify([...seen])}`)
    const last = await request(`${gw.url}/x`)
    assert.equal(await last.body.text(), 'blue', 'the last config written is the one serving')
  } finally {
    running = false
    await gw.stop()
  }
})

test('a broken config is refused and the previous one keeps serving (and the log says why)', async () => {
  const path = join(dir, 'broken.yaml')
  await writeFile(path, yamlFor('green'))
  const loaded = await loadConfigFile(path, createRegistry())
  assert.ok(loaded.ok)
  const gw = await startGateway({}, { config: loaded.config, configPath: path })
  try {
    await writeFile(path, yamlFor('green').replace('upstream: green', 'upstream: purple'))
    const refused = await gw.gateway.reload()
    assert.equal(refused.ok, false)
    assert.ok(!refused.ok && refused.errors.some((e) => e.pointer === '/routes/0/upstream' && e.line === 11))
    const res = await request(`${gw.url}/x`)
    assert.equal(await res.body.text(), 'green')
    assert.match(gw.log.text(), /reload refused[\s\S]*unknown upstream/)

    await writeFile(path, 'routes: [ this is : not yaml')
    assert.equal((await gw.gateway.reload()).ok, false)
    const still = await request(`${gw.url}/x`)
    assert.equal(await still.body.text(), 'green')
  } finally {
    await gw.stop()
  }
})

test('a file change is picked up by the watcher without a call', async () => {
  const path = join(dir, 'watched.yaml')
  await writeFile(path, yamlFor('blue'))
  const loaded = await loadConfigFile(path, createRegistry())
  assert.ok(loaded.ok)
  const gw = await startGateway({}, { config: loaded.config, configPath: path, watch: true })
  try {
    const reloaded = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (gw.log.lines.some((l) => l.msg === 'configuration reloaded')) {
          clearInterval(timer)
          resolve()
        }
      }, 20)
    })
    await writeFile(path, yamlFor('green'))
    await reloaded
    const res = await request(`${gw.url}/x`)
    assert.equal(await res.body.text(), 'green')
  } finally {
    await gw.stop()
  }
})
