/**
 * A server that accepts connections and never answers: what a connection gone silent (a NAT that dropped its state, a
 * hung proxy) looks like to a client, a timeout rather than a refusal. Plain TCP, so nothing answers even an HTTP error.
 */
import { createServer, type AddressInfo, type Socket } from "node:net";

export interface SilentServer {
  readonly url: string;
  /** The HTTP request lines it was sent, as "METHOD /path?query", in order: how many tries a client made. */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

const REQUEST_LINE = /^([A-Z]+) (\S+) HTTP\/1\.[01]\r$/gm;

export async function silentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  const server = createServer((s) => {
    sockets.add(s);
    s.on("data", (d) => {
      for (const m of d.toString("latin1").matchAll(REQUEST_LINE)) requests.push(`${m[1]} ${m[2]}`);
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((ok) => server.close(ok));
    },
  };
}
