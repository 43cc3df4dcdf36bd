/** SIGTERM / SIGINT: resolves on the first, so `serve` can stop taking requests and finish (or hand back) its work. */
export function untilSignal(logger: { info(o: object, m: string): void }): Promise<void> {
  return new Promise((done) => {
    const stop = (signal: string) => {
      logger.info({ signal }, "shutting down");
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      done();
    };
    const onTerm = () => stop("SIGTERM");
    const onInt = () => stop("SIGINT");
    process.on("SIGTERM", onTerm);
    process.on("SIGINT", onInt);
  });
}
