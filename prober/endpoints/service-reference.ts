// What names a Service whose endpoints are probed one by one: light enough for the CLI to load on every run.

/** `service/NAME:PORT`: the Service, and its port by name or number (undefined: its only port). */
export interface ServiceReference {
  name: string;
  port: string | undefined;
}

/** `service/NAME[:PORT]` or `svc/NAME[:PORT]` (kubectl's form); anything else: undefined. */
export function parseServiceReference(text: string): ServiceReference | undefined {
  const match = /^(?:service|services|svc)\/([a-z0-9][a-z0-9-]*)(?::([a-z0-9][a-z0-9-]*))?$/.exec(text);
  if (!match) return undefined;
  return { name: match[1] as string, port: match[2] };
}
