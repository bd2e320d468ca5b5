// Type declarations for test-only packages that ship none.
declare module 'protocol-buffers-schema' {
  export default function parse(text: string): unknown;
}
declare module 'pbf/compile' {
  export function compile(schema: unknown): Record<string, unknown>;
}
