/**
 * The Jool guest as a process: qemu booting the appliance (kernel + initramfs,
 * no disk) with two NICs whose only peers are the harness's L2 ports (qemu
 * `-netdev stream` over unix sockets; no user-mode or host networking, so no
 * packet can leave the machine) and the guest agent on virtio-serial.
 *
 * The guest's serial console is qemu's stdout; the VM is up when the guest's
 * init prints NLJ-READY after running the lab's network setup (delivered via
 * fw_cfg). qemu is killed on every exit path: stop(), and the process-wide
 * teardown for crashes and signals.
 */
import { type ChildProcess, execFileSync, spawn } from 'child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import path from 'path';
import { onTeardown } from '../lab/netns';
import { GuestAgent } from './jool-qga';
import { L2Port } from './jool-l2';
import type { Appliance } from './jool-appliance';

/** The guest's NICs and the harness as the router on each link. */
export const LINK = {
  v6: { guestMac: '52:54:00:00:66:01', routerMac: '02:00:00:00:66:02', router: 'fe80::2' },
  v4: { guestMac: '52:54:00:00:44:01', routerMac: '02:00:00:00:44:02', router: '198.18.255.254' },
} as const;

/** How long a boot may take before it counts as failed: ~10 s under TCG, several VMs at once on two cores ~16 s. */
const BOOT_DEADLINE_MS = 120_000;
const CONSOLE_KEEP = 8000;

export type Accel = 'kvm' | 'tcg';

/** Real KVM only: /dev/kvm alone may be PVM, which Debian's kernels cannot boot under. */
export function chooseAccel(): Accel {
  const kvm = existsSync('/dev/kvm') && (existsSync('/sys/module/kvm_intel') || existsSync('/sys/module/kvm_amd'));
  return process.env.NAT64LAB_JOOL_ACCEL === 'tcg' || !kvm ? 'tcg' : 'kvm';
}

export interface VmOptions {
  appliance: Appliance;
  /** Shell script the guest's init runs before it reports ready (the lab's addresses, routes, Jool). */
  setup: string;
  memoryMb?: number;
}

export class JoolVm {
  readonly dir: string;
  readonly v6: L2Port;
  readonly v4: L2Port;
  readonly agent: GuestAgent;
  readonly accel: Accel = chooseAccel();
  private child?: ChildProcess;
  private console = '';
  private exitInfo?: string;
  private readonly unregister: () => void;
  /** ms from spawning qemu to NLJ-READY. */
  bootMs = 0;

  constructor(private readonly opts: VmOptions) {
    // Short path: unix socket paths must stay under 108 bytes and free of commas for qemu's option parser.
    this.dir = mkdtempSync(path.join(tmpdir(), 'nlj-jool-'));
    this.v6 = new L2Port({ path: path.join(this.dir, 'v6.sock'), guestMac: LINK.v6.guestMac, routerMac: LINK.v6.routerMac, routerAddress: LINK.v6.router, family: 6 });
    this.v4 = new L2Port({ path: path.join(this.dir, 'v4.sock'), guestMac: LINK.v4.guestMac, routerMac: LINK.v4.routerMac, routerAddress: LINK.v4.router, family: 4 });
    this.agent = new GuestAgent(path.join(this.dir, 'qga.sock'));
    this.unregister = onTeardown(() => this.killSync());
  }

  private qemuArgs(): string[] {
    const { appliance } = this.opts;
    const d = this.dir;
    const net = (id: string, mac: string) => [
      '-netdev', `stream,id=${id},server=off,addr.type=unix,addr.path=${path.join(d, `${id}.sock`)}`,
      '-device', `virtio-net-pci,netdev=${id},mac=${mac},romfile=`,
    ];
    return [
      '-name', 'nlj-jool',
      ...(this.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg', '-cpu', 'max']),
      '-m', String(this.opts.memoryMb ?? 256), '-smp', '1',
      '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot', '-monitor', 'none',
      '-serial', 'stdio',
      '-kernel', appliance.kernel, '-initrd', appliance.initrd,
      '-append', 'console=ttyS0 net.ifnames=0 quiet panic=-1',
      ...net('v6', LINK.v6.guestMac),
      ...net('v4', LINK.v4.guestMac),
      '-chardev', `socket,id=qga,path=${path.join(d, 'qga.sock')},server=on,wait=off`,
      '-device', 'virtio-serial-pci', '-device', 'virtserialport,chardev=qga,name=org.qemu.guest_agent.0',
      '-fw_cfg', `name=opt/nlj/setup,file=${path.join(d, 'setup.sh')}`,
    ];
  }

  /** Boots the guest and resolves when it reported ready and the agent answers. */
  async start(): Promise<void> {
    writeFileSync(path.join(this.dir, 'setup.sh'), this.opts.setup);
    await this.v6.listen();
    await this.v4.listen();
    const started = Date.now();
    const child = spawn('qemu-system-x86_64', this.qemuArgs(), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let readyLine: ((ok: boolean) => void) | undefined;
    const onOutput = (b: Buffer) => {
      this.console = (this.console + b.toString('latin1')).slice(-CONSOLE_KEEP);
      if (/NLJ-READY/.test(this.console)) readyLine?.(true);
      else if (/NLJ-FAILED/.test(this.console) && /NLJ-LOG/.test(this.console)) readyLine?.(false);
    };
    child.stdout!.on('data', onOutput);
    child.stderr!.on('data', onOutput);
    const exited = new Promise<void>((resolve) =>
      child.once('exit', (code, sig) => {
        this.exitInfo = sig ? `signal ${sig}` : `exit status ${code}`;
        resolve();
      }),
    );
    child.once('error', (e) => {
      this.exitInfo = e.message;
    });
    const outcome = await Promise.race([
      new Promise<'ready' | 'failed'>((resolve) => (readyLine = (ok) => resolve(ok ? 'ready' : 'failed'))),
      exited.then(() => 'exited' as const),
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), BOOT_DEADLINE_MS).unref()),
    ]);
    if (outcome !== 'ready') {
      const why =
        outcome === 'failed'
          ? `the guest's network setup failed: ${this.failureLines()}`
          : outcome === 'exited'
            ? `qemu ended during boot (${this.exitInfo}): ${this.lastConsoleLine()}`
            : `no NLJ-READY within ${BOOT_DEADLINE_MS / 1000} s; last console line: ${this.lastConsoleLine()}`;
      throw new Error(`jool guest: ${why}`);
    }
    this.bootMs = Date.now() - started;
    await Promise.all([this.v6.whenConnected(), this.v4.whenConnected()]);
    await this.agent.connect();
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Why the VM is not running, for error messages. */
  deathNote(): string {
    return `the jool guest stopped (${this.exitInfo ?? 'unknown'}); last console line: ${this.lastConsoleLine()}`;
  }

  private failureLines(): string {
    const lines = this.console.split('\n').filter((l) => l.startsWith('NLJ-LOG '));
    const last = lines.filter((l) => !/^NLJ-LOG \+ /.test(l)).pop() ?? lines.pop() ?? '';
    return last.replace(/^NLJ-LOG /, '').trim();
  }

  lastConsoleLine(): string {
    return this.console.split('\n').map((l) => l.trim()).filter((l) => l).pop() ?? '(no console output)';
  }

  /** Stops qemu (SIGTERM, then SIGKILL) and removes the run folder. Safe twice. */
  async stop(): Promise<void> {
    this.agent.close();
    this.v6.close();
    this.v4.close();
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) {
      await new Promise<void>((resolve) => {
        const kill = setTimeout(() => c.kill('SIGKILL'), 3000);
        c.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        c.kill('SIGTERM');
      });
    }
    this.child = undefined;
    rmSync(this.dir, { recursive: true, force: true });
    this.unregister();
  }

  /** The exit path: nothing asynchronous runs any more. */
  private killSync(): void {
    const pid = this.child?.pid;
    if (pid && this.running) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    try {
      execFileSync('rm', ['-rf', this.dir], { stdio: 'ignore' });
    } catch {
      /* best effort */
    }
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }
}
