/**
 * Test helpers: a real gateway and real upstreams on ephemeral loopback ports.
 */
import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { validateConfigObject, formatIssues } from '../../src/config/load.js';
import { createGateway } from '../../src/gateway.js';
import { createRegistry } from '../../src/policies/registry.js';
export const TEST_ADMIN_TOKEN = 'pcla_test_admin_token_0123456789abcdef';
/** Starts a gateway from a config object (defaults: ephemeral ports, memory/sqlite in-memory). */
export async function startGateway(config, options = {}) {
    const registry = options.registry ?? createRegistry();
    const full = {
        listen: { http: { host: '127.0.0.1', port: 0 } },
        ...config,
        admin: { host: '127.0.0.1', port: 0, ...config.admin },
        storage: { state: 'memory', data: 'sqlite::memory:', ...config.storage },
        // Ports are ephemeral, so the issuer cannot be derived from them: name it.
        oauth: { issuer: 'http://gateway.test', ...config.oauth },
    };
    const result = options.config ? { ok: true, config: options.config } : validateConfigObject(structuredClone(full), registry);
    if (!result.ok)
        throw new Error(`test config invalid:\n${formatIssues(result.errors)}`);
    const log = captureLog();
    const gateway = await createGateway({
        registry,
        logger: pino({ level: 'debug' }, log.stream),
        adminTokens: [{ name: 'test', token: TEST_ADMIN_TOKEN }],
        home: options.home ?? (await mkdtemp(join(tmpdir(), 'portcullis-home-'))),
        ...options,
        config: result.config,
    });
    await gateway.start();
    return { gateway, url: gateway.url, adminUrl: gateway.adminUrl, log: log.captured, stop: () => gateway.stop() };
}
function captureLog() {
    const lines = [];
    const raw = [];
    const stream = new Writable({
        write(chunk, _enc, callback) {
            for (const line of chunk.toString('utf8').split('\n')) {
                if (!line)
                    continue;
                raw.push(line);
                try {
                    lines.push(JSON.parse(line));
                }
                catch {
                    // pino writes one JSON object per line; anything else is kept only as text.
                }
            }
            callback();
        },
    });
    return { stream, captured: { lines, text: () => raw.join('\n') } };
}
/** A real upstream on an ephemeral port. */
export async function startUpstream(handler) {
    const server = createServer(handler);
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = server.address().port;
    return {
        url: `http://127.0.0.1:${port}`,
        port,
        server,
        close: () => new Promise((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
        }),
    };
}
/** An upstream that answers with a JSON echo of what it received (method, url, headers, body). */
export function echoHandler(req, res) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
        const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
    });
}
/** A minimal route config pointing every path at one upstream. */
export function simpleConfig(upstreamUrl, extra = {}) {
    const { routes, ...rest } = extra;
    return {
        upstreams: { app: { url: upstreamUrl, connectTimeout: '2s', responseTimeout: '2s' } },
        routes: routes ?? [{ name: 'all', match: { path: '/*' }, upstream: 'app', policies: extra.policies ?? [] }],
        ...rest,
        policies: [],
    };
}
//# sourceMappingURL=gateway.js.map