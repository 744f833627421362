/**
 * The signals that interrupt a run: Ctrl-C (SIGINT), and SIGTERM, which a CI job cancelled,
 * `timeout`, `docker stop` or `kill` send. Both stop the run the same way (a partial report,
 * exit 130), as k6 treats them: left to its default, SIGTERM killed the process with 143 and
 * no report at all, losing exactly the runs a pipeline cancels for taking too long.
 */
const INTERRUPT_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Calls `handler` on every interrupt signal until the returned function is called. A second
 * signal, of either kind, reaches the same handler, which decides what a second Ctrl-C does.
 */
export function onInterrupt(handler: (signal: NodeJS.Signals) => void): () => void {
  for (const signal of INTERRUPT_SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of INTERRUPT_SIGNALS) process.off(signal, handler);
  };
}
