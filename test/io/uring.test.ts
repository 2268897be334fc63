/**
 * io_uring through koffi, without root: batches of WRITE and READ on plain
 * files, addressed in a NativeArena, come back tagged, in order, with the
 * octets the kernel moved.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { IORING_OP_READ, IORING_OP_WRITE, NativeArena, Uring } from '../../harness/io/uring';

/** A ring, or a skip when this kernel or sandbox refuses io_uring (the daemon then falls back to read/write). */
function ringOrSkip(ctx: Mocha.Context, entries: number): Uring {
  try {
    return Uring.open(entries);
  } catch (e) {
    ctx.skip();
    throw e;
  }
}

describe('io: io_uring through koffi', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nat64lab-uring-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes a batch from arena memory in submission order, one completion per entry with its tag', function () {
    const ring = ringOrSkip(this, 8);
    const arena = NativeArena.map(4096);
    const file = path.join(dir, 'w');
    const fd = fs.openSync(file, 'w');
    try {
      const parts = ['first ', 'second ', 'third'];
      let at = 0;
      parts.forEach((p, i) => {
        arena.bytes.write(p, at, 'latin1');
        ring.prep(IORING_OP_WRITE, fd, arena.address(at), p.length, 100 + i);
        at += 64;
      });
      expect(ring.room).to.equal(5);
      expect(ring.submit(3)).to.equal(3);
      const done: [number, number][] = [];
      expect(ring.reap((tag, res) => done.push([tag, res]))).to.equal(3);
      expect(done).to.deep.equal([[100, 6], [101, 7], [102, 5]]);
      expect(ring.pending).to.equal(0);
      expect(fs.readFileSync(file, 'latin1')).to.equal('first second third');
    } finally {
      fs.closeSync(fd);
      arena.close();
      ring.close();
    }
  });

  it('reads into arena memory and reports the end of a file as 0 octets', function () {
    const ring = ringOrSkip(this, 4);
    const arena = NativeArena.map(8192);
    const file = path.join(dir, 'r');
    fs.writeFileSync(file, 'nat64lab');
    const fd = fs.openSync(file, 'r');
    try {
      ring.prep(IORING_OP_READ, fd, arena.address(4096), 100, 1);
      ring.prep(IORING_OP_READ, fd, arena.address(0), 100, 2);
      ring.submit(2);
      const done: [number, number][] = [];
      ring.reap((tag, res) => done.push([tag, res]));
      expect(done).to.deep.equal([[1, 8], [2, 0]]);
      expect(arena.bytes.toString('latin1', 4096, 4104)).to.equal('nat64lab');
    } finally {
      fs.closeSync(fd);
      arena.close();
      ring.close();
    }
  });

  it('reports a failed operation as -errno, and refuses more entries than it has room for', function () {
    const ring = ringOrSkip(this, 2);
    const arena = NativeArena.map(4096);
    try {
      ring.prep(IORING_OP_READ, 1_000_000, arena.address(0), 10, 7);
      ring.prep(IORING_OP_READ, 1_000_000, arena.address(0), 10, 8);
      expect(() => ring.prep(IORING_OP_READ, 1_000_000, arena.address(0), 10, 9)).to.throw(/submission ring full/);
      ring.submit(2);
      const done: [number, number][] = [];
      ring.reap((tag, res) => done.push([tag, res]));
      expect(done).to.deep.equal([[7, -9], [8, -9]]); // EBADF
      ring.close();
      expect(() => ring.submit()).to.throw(/after close/);
    } finally {
      arena.close();
      ring.close();
    }
  });
});
