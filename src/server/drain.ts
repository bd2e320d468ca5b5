// Graceful stop for node:http: stop accepting, let every answer reach the client whole, then close the connections.
//
// Node's own `server.close()` first runs `closeIdleConnections()`, which destroys a socket as soon as its answer
// has been `end()`ed — even while most of that answer still waits in the socket's buffer for a slow client —
// so a large answer in flight at SIGTERM was cut. Here a connection is closed only once its answer is flushed.
import { Server as NetServer, type Socket } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

interface Tracked {
  /** Answers started on this connection and not yet flushed to the OS. */
  active: number;
}

export interface Drain {
  /** Resolves once every connection is closed; after `graceMs` the remaining ones are destroyed. */
  close(graceMs: number): Promise<void>;
}

/**
 * `answer`: the server's request handler, given here rather than to createServer, so that the server has one 'request'
 * listener: with two, node's emit copies its listener array for every request.
 */
export function drainable(server: Server, answer: (request: IncomingMessage, response: ServerResponse) => void): Drain {
  const connections = new Map<Socket, Tracked>();
  let closing = false;

  server.on('connection', (socket: Socket) => {
    connections.set(socket, { active: 0 });
    socket.once('close', () => connections.delete(socket));
  });
  // One listener shared by every answer, no closure per request: drain bookkeeping left ~490 B of garbage a request
  // (two closures and two once() wrappers) in the server's hottest path.
  function answerClosed(this: ServerResponse): void {
    const socket = this.req.socket;
    const tracked = connections.get(socket);
    if (!tracked) return;
    tracked.active--;
    if (closing && tracked.active === 0) socket.end();
  }

  const track = (request: IncomingMessage, response: ServerResponse) => {
    const tracked = connections.get(request.socket);
    if (!tracked) return;
    tracked.active++;
    // No further requests on a connection that is about to close.
    if (closing) response.shouldKeepAlive = false;
    // 'close' comes once per answer: just after 'finish' (the last byte handed to the OS, which still delivers it
    // after end()), or when the connection dies first.
    response.on('close', answerClosed);
  };
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    track(request, response);
    answer(request, response);
  });

  return {
    close(graceMs) {
      closing = true;
      return new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        const force = setTimeout(() => {
          for (const socket of connections.keys()) socket.destroy();
        }, graceMs);
        force.unref();
        // The plain net close: stop accepting and wait for the connections, without http's early cut.
        NetServer.prototype.close.call(server, () => {
          clearTimeout(force);
          resolve();
        });
        for (const [socket, tracked] of connections) if (tracked.active === 0) socket.end();
      });
    },
  };
}
