// Structured logs (pino, JSON lines) to stderr, so that stdout stays for what the command prints.
import { pino, type Logger } from 'pino';
import type { ServerOptions } from '../config/serverOptions.js';

/**
 * Writes go through sonic-boom asynchronously (lines written while a write is in flight are batched into the next
 * one); pino flushes it synchronously on exit, and run.ts flushes it before exiting on SIGTERM, so no line is lost.
 * A larger write buffer (minLength 4096) measured no cheaper per line, and would hold lines back on a quiet server.
 */
export function createLogger(level = 'info'): Logger {
  return pino({ level, base: { pid: process.pid } }, pino.destination({ dest: 2, sync: false, maxWrite: LOG_CHUNK_BYTES }));
}

/**
 * The most sonic-boom gathers into one pending chunk (its default is 16 KiB). It measures the UTF-8 length of the
 * chunk on every line, which copies the whole chunk (a string built by appending): the copying grows with the square
 * of the chunk. Under 64 connections a chunk holds a loop turn's lines; 200,000 request lines (64 a turn) left
 * 6.2 KB of garbage a line at 16 KiB, 1.9 KB at 1 KiB (pino alone: 1.3 KB), with 4.3 → 3.0 µs CPU a line
 * (more, smaller writes included). Fewer young-generation collections, each pausing every request in flight.
 */
const LOG_CHUNK_BYTES = 1024;

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
