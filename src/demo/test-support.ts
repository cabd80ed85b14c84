/**
 * Test support for the demo API's own tests: a server on an ephemeral loopback port and a raw
 * HTTP client (node:http, one connection per request) that can send arbitrary bytes and still
 * reads the response when the server closes the connection early (413, 415).
 */
import { request } from 'node:http'
import { startDemoApi, type RunningDemoApi, type StartDemoApiOptions } from './index.js'

/** A response as the tests see it. */
export interface TestResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  /** The body parsed as JSON (throws when it is not JSON). */
  json<T = any>(): T
}

/** A running demo API plus a request helper bound to it. */
export interface TestApi extends RunningDemoApi {
  send(
    method: string,
    path: string,
    options?: { headers?: Record<string, string>; body?: string | Buffer | object; chunked?: boolean },
  ): Promise<TestResponse>
}

/** Starts a demo API (in-memory, unseeded unless asked) on 127.0.0.1:0. */
export async function startTestApi(options: StartDemoApiOptions = {}): Promise<TestApi> {
  const api = await startDemoApi({ seed: false, ...options })
  return {
    ...api,
    send(method, path, { headers = {}, body, chunked = false } = {}) {
      let payload: string | Buffer | undefined
      const finalHeaders: Record<string, string> = { ...headers }
      if (body !== undefined) {
        payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body)
        if (typeof body === 'object' && !Buffer.isBuffer(body) && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
          finalHeaders['content-type'] = 'application/json'
        }
        // Chunked: no declared length, so the server can only find out by counting bytes.
        if (!chunked) finalHeaders['content-length'] = String(Buffer.byteLength(payload))
      }
      return new Promise<TestResponse>((resolve, reject) => {
        let answered = false
        const req = request(api.url + path, { method, headers: finalHeaders, agent: false }, (res) => {
          answered = true
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) })
          })
          res.on('error', reject)
        })
        // The server may close while we are still writing a body it refused; the answer counts.
        req.on('error', (error) => {
          if (!answered) reject(error)
        })
        if (chunked && payload !== undefined) {
          const bytes = Buffer.from(payload)
          for (let i = 0; i < bytes.length; i += 64 * 1024) req.write(bytes.subarray(i, i + 64 * 1024))
          req.end()
        } else req.end(payload)
      })
    },
  }
}

/** A valid station body for tests. */
export function stationBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'Test Station', latitude: 48.1, longitude: 11.6, ...overrides }
}
