/**
 * Process-wide teardown registry for lab resources (namespaces, processes).
 *
 * Registered functions run, newest first, on normal exit, on SIGINT/SIGTERM/
 * SIGHUP, and on an uncaught exception or unhandled rejection that is about
 * to end the process. On the 'exit' path and on a fatal exception Node runs
 * no more event-loop turns, so only synchronous work completes there: lab
 * code registers synchronous cleanups (execFileSync) so nothing is left
 * behind. On a signal, returned promises are awaited (bounded) before the
 * signal is re-raised with the default action, so the exit status still says
 * which signal ended the process.
 */

type Cleanup = () => void | Promise<void>;

const registry = new Set<{ fn: Cleanup }>();
let installed = false;
let running = false;

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** How long a signal-triggered teardown may take before the process exits anyway. */
const SIGNAL_TEARDOWN_MS = 5000;

/** Registers `fn` to run at teardown; returns a function that unregisters it. */
export function onTeardown(fn: Cleanup): () => void {
  install();
  const entry = { fn };
  registry.add(entry);
  return () => {
    registry.delete(entry);
  };
}

/** Runs every registered cleanup now (newest first) and empties the registry; errors are reported, not thrown. */
export async function runTeardown(): Promise<void> {
  const entries = [...registry].reverse();
  registry.clear();
  for (const e of entries) {
    try {
      await e.fn();
    } catch (err) {
      report(err);
    }
  }
}

/** Synchronous variant for paths where the event loop will not turn again. */
function runTeardownSync(): void {
  if (running) return;
  running = true;
  const entries = [...registry].reverse();
  registry.clear();
  for (const e of entries) {
    try {
      const r = e.fn();
      // A promise cannot finish here; keep it from becoming an unhandled rejection.
      if (r && typeof (r as Promise<void>).catch === 'function') (r as Promise<void>).catch(() => undefined);
    } catch (err) {
      report(err);
    }
  }
  running = false;
}

function report(err: unknown): void {
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`nat64lab: teardown: ${msg.split('\n')[0]}\n`);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runTeardownSync);
  // The monitor sees every uncaught exception without changing how it is
  // handled; with no 'uncaughtException' listener (mocha installs one) the
  // process is about to die, and 'exit' will not be emitted.
  process.on('uncaughtExceptionMonitor', () => {
    if (process.listenerCount('uncaughtException') === 0) runTeardownSync();
  });
  for (const sig of SIGNALS) process.on(sig, onSignal);
}

function onSignal(sig: NodeJS.Signals): void {
  if (running) return;
  running = true;
  const timer = setTimeout(() => reraise(sig), SIGNAL_TEARDOWN_MS);
  timer.unref();
  runTeardown().finally(() => {
    clearTimeout(timer);
    reraise(sig);
  });
}

function reraise(sig: NodeJS.Signals): void {
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  // Other listeners (a runner's own handler) keep the signal from killing us; exit as the default action would.
  if (process.listenerCount(sig) > 0) process.exit(128 + signalNumber(sig));
  process.kill(process.pid, sig);
}

function signalNumber(sig: NodeJS.Signals): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as Record<string, number>)[sig] ?? 1;
}
