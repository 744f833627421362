/**
 * A preload for the built CLI (`node --import ./test/support/signal-on-stdout.mjs bin/walletstorm.js …`)
 * that sends the process SIGTERM as it first writes to standard output, just before that write:
 * for simulate, as its reports are being written, once the run is over. A real signal at a point
 * that does not depend on how fast the machine is.
 */
const write = process.stdout.write.bind(process.stdout);
let sent = false;
process.stdout.write = (...args) => {
  if (!sent) {
    sent = true;
    process.kill(process.pid, 'SIGTERM');
  }
  return write(...args);
};
