/**
 * Writes to the call-records database. better-sqlite3 is synchronous, and a commit now and then
 * runs a WAL checkpoint with an fsync: measured here at 10–60 ms every ~75 records, and a
 * retention delete of thousands of rows at 100–200 ms. On the main thread that would stall the
 * paced audio of every live call, so file databases are written from a worker thread with its own
 * connection; the main thread only reads (WAL readers never wait for the writer). An in-memory
 * database cannot be shared between connections, so it is written in place (tests, the demo).
 *
 * The worker is plain JavaScript evaluated from a string: the same code runs under tsx (tests,
 * `npm start`) and from dist/, with the driver's path resolved here so the worker finds it from
 * any working directory.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import { DELETE_ENDED_BEFORE_SQL, INSERT_CALL_SQL, type CallRow } from './call-rows.js';

export interface SqliteWriter {
  put(rows: CallRow[]): Promise<void>;
  deleteEndedBefore(epochMs: number): Promise<number>;
  close(): Promise<void>;
}

export function inlineWriter(db: Database): SqliteWriter {
  const insert = db.prepare(INSERT_CALL_SQL);
  const remove = db.prepare(DELETE_ENDED_BEFORE_SQL);
  const putAll = db.transaction((rows: CallRow[]) => {
    for (const row of rows) insert.run(row);
  });
  // A throw inside a Promise executor becomes the rejection, as it would from the worker.
  return {
    put: (rows) =>
      new Promise<void>((resolve) => {
        putAll(rows);
        resolve();
      }),
    deleteEndedBefore: (epochMs) => new Promise<number>((resolve) => resolve(remove.run(epochMs).changes)),
    close: () => Promise.resolve(),
  };
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const db = new Database(workerData.path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
const insert = db.prepare(workerData.insertSql);
const remove = db.prepare(workerData.deleteSql);
const putAll = db.transaction((rows) => { for (const row of rows) insert.run(row); });
parentPort.on('message', (msg) => {
  try {
    let value = 0;
    if (msg.op === 'put') putAll(msg.rows);
    else if (msg.op === 'delete') value = remove.run(msg.before).changes;
    else if (msg.op === 'close') db.close();
    parentPort.postMessage({ id: msg.id, ok: true, value });
  } catch (err) {
    parentPort.postMessage({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
`;

type Request = { op: 'put'; rows: CallRow[] } | { op: 'delete'; before: number } | { op: 'close' };
type Reply = { id: number; ok: true; value: number } | { id: number; ok: false; error: string };

export function workerWriter(path: string): SqliteWriter {
  const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');
  const pending = new Map<number, { resolve: (value: number) => void; reject: (err: Error) => void }>();
  let nextId = 1;
  let worker: Worker | undefined;

  const failAll = (err: Error): void => {
    for (const waiter of pending.values()) waiter.reject(err);
    pending.clear();
  };

  // A worker that died (it should not) is replaced on the next write; what it had is reported failed.
  const spawn = (): Worker => {
    const created = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driverPath, path, insertSql: INSERT_CALL_SQL, deleteSql: DELETE_ENDED_BEFORE_SQL },
    });
    created.on('message', (reply: Reply) => {
      const waiter = pending.get(reply.id);
      pending.delete(reply.id);
      if (pending.size === 0) created.unref();
      if (reply.ok) waiter?.resolve(reply.value);
      else waiter?.reject(new Error(reply.error));
    });
    created.on('error', (err) => {
      if (worker === created) worker = undefined;
      failAll(err);
    });
    created.on('exit', (code) => {
      if (worker === created) worker = undefined;
      failAll(new Error(`call-records writer thread exited (${code})`));
    });
    // Idle, it must not keep the process alive; busy, it must (shutdown awaits its replies).
    created.unref();
    return created;
  };

  const request = (message: Request): Promise<number> =>
    new Promise((resolve, reject) => {
      worker ??= spawn();
      const id = nextId++;
      pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, ...message });
    });

  return {
    put: async (rows) => {
      await request({ op: 'put', rows });
    },
    deleteEndedBefore: (before) => request({ op: 'delete', before }),
    async close() {
      if (worker === undefined) return;
      const closing = worker;
      await request({ op: 'close' }).catch(() => 0);
      await closing.terminate();
      worker = undefined;
    },
  };
}
