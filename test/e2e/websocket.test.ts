/**
 * WebSocket upgrades through the gateway: proxied on routes that allow them, with the route's
 * pipeline applied to the upgrade request; refused elsewhere.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { WebSocket, WebSocketServer } from 'ws'
import { startGateway, startUpstream, simpleConfig } from '../helpers/gateway.js'

let upstream: Awaited<ReturnType<typeof startUpstream>>
let gw: Awaited<ReturnType<typeof startGateway>>

before(async () => {
  upstream = await startUpstream((_req, res) => res.end('plain'))
  const wss = new WebSocketServer({ server: upstream.server })
  wss.on('connection', (socket) => socket.on('message', (data, binary) => socket.send(data, { binary })))
  gw = await startGateway({
    ...simpleConfig(upstream.url, {
      routes: [
        { name: 'ws', match: { path: '/ws' }, upstream: 'app', websocket: true },
        { name: 'ws-guarded', match: { path: '/ws-guarded' }, upstream: 'app', websocket: true, policies: [{ name: 'ip-filter', config: { deny: ['127.0.0.0/8'] } }] },
        { name: 'http-only', match: { path: '/*' }, upstream: 'app' },
      ],
    }),
  })
})
after(async () => {
  await gw.stop()
  await upstream.close()
})

test('a WebSocket echo works through the gateway', async () => {
  const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/ws`)
  await once(ws, 'open')
  ws.send('hello through the gate')
  const [message] = (await once(ws, 'message')) as [Buffer]
  assert.equal(message.toString(), 'hello through the gate')
  ws.send(Buffer.from([1, 2, 3]))
  const [binary] = (await once(ws, 'message')) as [Buffer]
  assert.deepEqual([...binary], [1, 2, 3])
  ws.close()
  await once(ws, 'close')
})

async function upgradeStatus(path: string): Promise<number> {
  const ws = new WebSocket(`${gw.url.replace('http', 'ws')}${path}`)
  ws.on('error', () => undefined) // terminate() below reports the aborted handshake as an error
  const [, res] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }]
  ws.terminate()
  return res.statusCode
}

test('the upgrade request runs the route pipeline (a refusing policy stops it)', async () => {
  assert.equal(await upgradeStatus('/ws-guarded'), 403)
})

test('routes without websocket: true refuse upgrades', async () => {
  assert.equal(await upgradeStatus('/other'), 405)
})
