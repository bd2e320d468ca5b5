// Structured logs (pino, JSON lines) to stderr, so that stdout stays for what the command prints.
import { pino, type Logger } from 'pino';
import type { ServerOptions } from '../config/serverOptions.js';

/**
 * Writes go through sonic-boom asynchronously (lines written while a write is in flight are batched into the next
 * one); pino flushes it synchronously on exit, and run.ts flushes it before exiting on SIGTERM, so no line is lost.
 * A larger write buffer (minLength 4096) measured no cheaper per line, and would hold lines back on a quiet server.
 */
export function createLogger(level = 'info'): Logger {
  return pino({ level, base: { pid: process.pid } }, pino.destination({ dest: 2, sync: false }));
}

/**
 * Whether an answered request gets a line in the request log: none when request logs are off; server errors always;
 * the others at the configured sample rate (1: every one).
 */
export function requestLogFilter(log: ServerOptions['log']): (status: number) => boolean {
  if (!log.requests) return () => false;
  const rate = log.sampleRate;
  if (rate >= 1) return () => true;
  return (status) => status >= 500 || Math.random() < rate;
}
