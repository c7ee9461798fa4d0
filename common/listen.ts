import type { AddressInfo, Server } from "node:net";

/** A failure to listen, with the port and the OS error code (EADDRINUSE, EACCES, ...). */
export class ListenError extends Error {
  override readonly name = "ListenError";
  constructor(
    readonly port: number,
    readonly code: string,
    cause: Error,
  ) {
    super(`cannot listen on port ${port}: ${cause.message}`, { cause });
  }
}

/** Listens and resolves with the port really bound (the OS picks one for port 0). */
export function listen(server: Server, port: number, host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) =>
      reject(new ListenError(port, error.code ?? "unknown", error));
    server.once("error", onError);
    server.listen({ port, host }, () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
