/** Benchmark upstream: a small JSON answer, as cheap as node:http allows. Prints its URL. */
import { createServer } from 'node:http'

const body = JSON.stringify({ id: 'stn_1', name: 'Zugspitze', temperatureC: -3.5, humidityPct: 81 })
const server = createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  })
})
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => process.stdout.write(`READY http://127.0.0.1:${server.address().port}\n`))
