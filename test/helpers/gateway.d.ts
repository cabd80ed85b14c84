/**
 * Test helpers: a real gateway and real upstreams on ephemeral loopback ports.
 */
import { type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { type Gateway, type GatewayOptions } from '../../src/gateway.js';
export declare const TEST_ADMIN_TOKEN = "pcla_test_admin_token_0123456789abcdef";
/** A captured log: every line the gateway wrote, parsed. */
export interface CapturedLog {
    lines: Record<string, unknown>[];
    text(): string;
}
/** Starts a gateway from a config object (defaults: ephemeral ports, memory/sqlite in-memory). */
export declare function startGateway(config: Record<string, unknown>, options?: Partial<GatewayOptions>): Promise<{
    gateway: Gateway;
    url: string;
    adminUrl: string;
    log: CapturedLog;
    stop(): Promise<void>;
}>;
/** A real upstream on an ephemeral port. */
export declare function startUpstream(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{
    url: string;
    port: number;
    server: Server;
    close(): Promise<void>;
}>;
/** An upstream that answers with a JSON echo of what it received (method, url, headers, body). */
export declare function echoHandler(req: IncomingMessage, res: ServerResponse): void;
/** A minimal route config pointing every path at one upstream. */
export declare function simpleConfig(upstreamUrl: string, extra?: {
    policies?: unknown[];
    routes?: unknown[];
    [k: string]: unknown;
}): Record<string, unknown>;
