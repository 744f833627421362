/**
 * The promise's value, or undefined once `ms` have passed or if it fails: for the clean-up
 * calls of a client whose server may be gone (a Kafka broker stopped mid-run), which its own
 * retries would otherwise stretch to tens of seconds while a partial report waits. What the
 * promise does later is ignored.
 */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise.catch(() => undefined), late]).finally(() => clearTimeout(timer));
}
