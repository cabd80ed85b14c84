// Plain JavaScript, run by plain node like the gateway under test (see gateway.mjs).
/**
 * The baseline: the least a Node reverse proxy can do — node:http in, an undici Pool out, bodies
 * piped, no policies, no logging. The gateway is measured against this.
 */
import { createServer } from 'node:http'
import { pipeline } from 'node:stream/promises'
import { Pool } from 'undici'

const pool = new Pool(process.argv[2], { connections: 128, pipelining: 1 })
const server = createServer(async (req, res) => {
  try {
    const headers = { ...req.headers }
    delete headers.host
    delete headers.connection
    const upstream = await pool.request({ method: req.method, path: req.url ?? '/', headers, body: req.method === 'GET' || req.method === 'HEAD' ? undefined : req })
    res.writeHead(upstream.statusCode, upstream.headers)
    await pipeline(upstream.body, res)
  } catch {
    res.statusCode = 502
    res.end()
  }
})
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => process.stdout.write(`READY http://127.0.0.1:${server.address().port}\n`))
