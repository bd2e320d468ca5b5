// Preloaded into a server by bench/tailProbe (`node --import`): for every answered request, its connection's number,
// when the connection was accepted, when the request's headers were parsed, when its answer was handed to the kernel
// ('finish') and its URL, written as JSON lines to $MEKAN_PROBE_OUT when the process exits. Times are
// performance.now() milliseconds; the first line gives performance.timeOrigin (epoch milliseconds) to set them against.
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

const out = process.env.MEKAN_PROBE_OUT;
if (out) {
  const connections = new WeakMap<Socket, { id: number; accepted: number }>();
  const parsed = new WeakMap<IncomingMessage, number>();
  const rows: [connection: number, accepted: number, parsed: number, finished: number, url: string][] = [];
  let accepted = 0;
  subscribe('net.server.socket', (message) => connections.set((message as { socket: Socket }).socket, { id: ++accepted, accepted: performance.now() }));
  subscribe('http.server.request.start', (message) => parsed.set((message as { request: IncomingMessage }).request, performance.now()));
  subscribe('http.server.response.finish', (message) => {
    const { request } = message as { request: IncomingMessage };
    const connection = connections.get(request.socket);
    rows.push([connection?.id ?? -1, connection?.accepted ?? -1, parsed.get(request) ?? -1, performance.now(), request.url ?? '']);
  });
  process.on('exit', () => writeFileSync(out, [JSON.stringify({ timeOrigin: performance.timeOrigin }), ...rows.map((row) => JSON.stringify(row))].join('\n') + '\n'));
}
