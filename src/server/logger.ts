// Structured logs (pino, JSON lines) to stderr, so that stdout stays for what the command prints.
import { pino, type Logger } from 'pino';

export function createLogger(level = 'info'): Logger {
  return pino({ level, base: { pid: process.pid } }, pino.destination({ dest: 2, sync: false }));
}
