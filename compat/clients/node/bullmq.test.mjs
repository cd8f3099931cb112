// BullMQ against the server at 127.0.0.1:$KIOKU_PORT (compat/bullmq_test.go
// starts Kioku and runs this file; pointing KIOKU_PORT at a redis-server
// runs the same checks against Redis). Timeouts are generous and nothing
// asserts on speed: the checks are about what BullMQ's scripts do.
import { test, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Queue, Worker, QueueEvents, Job, FlowProducer } from 'bullmq';
import { Redis } from 'ioredis';

const port = Number(process.env.KIOKU_PORT);
if (!port) {
  throw new Error('KIOKU_PORT must name the port of the server under test');
}
const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
const testTimeout = 60_000;

// Everything a test opens, closed after the last test so node exits. An
// 'error' event from any of them (a script or command the server refused)
// fails the test that was running.
const opened = [];
let errors = [];
after(async () => {
  await Promise.allSettled(opened.map((o) => o.close()));
});
afterEach(() => {
  const seen = errors;
  errors = [];
  assert.deepEqual(seen.map(String), [], 'no client reported an error');
});

function track(o) {
  opened.push(o);
  o.on?.('error', (err) => errors.push(err));
  return o;
}

function uniqueName(what) {
  return `${what}-${randomUUID()}`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// waitFor polls until check() is true.
async function waitFor(check, what, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

// started returns a QueueEvents that is listening already.
async function started(queueEvents) {
  await queueEvents.waitUntilReady();
  // QueueEvents reads its stream from '$' once ready; give its first
  // XREAD a moment to be in place so no event is missed.
  await sleep(200);
  return queueEvents;
}

test('a worker with concurrency 5 processes many jobs', { timeout: testTimeout }, async () => {
  const name = uniqueName('many');
  const queue = track(new Queue(name, { connection }));
  const total = 200;
  let active = 0;
  let maxActive = 0;
  const seen = new Set();
  const jobs = [];
  for (let i = 0; i < total; i++) {
    jobs.push({ name: 'item', data: { i } });
  }
  await queue.addBulk(jobs);
  const done = new Promise((resolve, reject) => {
    const worker = track(
      new Worker(
        name,
        async (job) => {
          active++;
          maxActive = Math.max(maxActive, active);
          await sleep(10);
          active--;
          seen.add(job.data.i);
          return job.data.i * 2;
        },
        { connection, concurrency: 5 },
      ),
    );
    worker.on('error', reject);
    worker.on('completed', () => {
      if (seen.size === total) resolve();
    });
  });
  await done;
  assert.equal(seen.size, total);
  assert.ok(maxActive <= 5, `at most 5 jobs at once, saw ${maxActive}`);
  assert.ok(maxActive > 1, `jobs ran concurrently, saw at most ${maxActive} at once`);
  await waitFor(async () => (await queue.getCompletedCount()) === total, 'all jobs completed');
  const counts = await queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed');
  assert.deepEqual(counts, { waiting: 0, active: 0, completed: total, failed: 0, delayed: 0 });
});

test('a job returns a value', { timeout: testTimeout }, async () => {
  const name = uniqueName('value');
  const queue = track(new Queue(name, { connection }));
  const queueEvents = await started(track(new QueueEvents(name, { connection })));
  track(
    new Worker(name, async (job) => ({ sum: job.data.a + job.data.b, who: job.name }), {
      connection,
    }),
  );
  const job = await queue.add('add', { a: 2, b: 40 });
  const result = await job.waitUntilFinished(queueEvents, 30_000);
  assert.deepEqual(result, { sum: 42, who: 'add' });
  const stored = await Job.fromId(queue, job.id);
  assert.deepEqual(stored.returnvalue, { sum: 42, who: 'add' });
  assert.equal(await stored.getState(), 'completed');
  assert.equal(stored.attemptsMade, 1);
});

test('progress reaches QueueEvents', { timeout: testTimeout }, async () => {
  const name = uniqueName('progress');
  const queue = track(new Queue(name, { connection }));
  const queueEvents = await started(track(new QueueEvents(name, { connection })));
  const progress = [];
  queueEvents.on('progress', ({ jobId, data }) => progress.push({ jobId, data }));
  track(
    new Worker(
      name,
      async (job) => {
        await job.updateProgress(25);
        await job.updateProgress(50);
        await job.updateProgress({ step: 'last', percent: 100 });
        return 'done';
      },
      { connection },
    ),
  );
  const job = await queue.add('steps', {});
  assert.equal(await job.waitUntilFinished(queueEvents, 30_000), 'done');
  await waitFor(() => progress.length === 3, 'three progress events');
  assert.deepEqual(progress, [
    { jobId: job.id, data: 25 },
    { jobId: job.id, data: 50 },
    { jobId: job.id, data: { step: 'last', percent: 100 } },
  ]);
  const stored = await Job.fromId(queue, job.id);
  assert.deepEqual(stored.progress, { step: 'last', percent: 100 });
});

test('a delayed job runs after its delay and not before', { timeout: testTimeout }, async () => {
  const name = uniqueName('delayed');
  const queue = track(new Queue(name, { connection }));
  const queueEvents = await started(track(new QueueEvents(name, { connection })));
  const delay = 1500;
  let processedAt = 0;
  track(
    new Worker(
      name,
      async () => {
        processedAt = Date.now();
        return 'late';
      },
      { connection },
    ),
  );
  const addedAt = Date.now();
  const job = await queue.add('later', {}, { delay });
  assert.equal(await job.getState(), 'delayed');
  assert.equal(await queue.getDelayedCount(), 1);
  await sleep(delay / 3);
  assert.equal(processedAt, 0, 'the job must not run before its delay');
  assert.equal(await job.getState(), 'delayed');
  assert.equal(await job.waitUntilFinished(queueEvents, 30_000), 'late');
  assert.ok(
    processedAt - addedAt >= delay,
    `ran ${processedAt - addedAt} ms after being added, delay ${delay} ms`,
  );
  assert.equal(await queue.getDelayedCount(), 0);
});

test('a job fails twice and succeeds on the third attempt with exponential backoff', { timeout: testTimeout }, async () => {
  const name = uniqueName('retry');
  const queue = track(new Queue(name, { connection }));
  const queueEvents = await started(track(new QueueEvents(name, { connection })));
  const backoff = 200;
  const attempts = [];
  const failures = [];
  const worker = track(
    new Worker(
      name,
      async (job) => {
        attempts.push({ at: Date.now(), attemptsMade: job.attemptsMade });
        if (attempts.length < 3) {
          throw new Error(`attempt ${attempts.length} fails`);
        }
        return 'third time';
      },
      { connection },
    ),
  );
  worker.on('failed', (job, err) => failures.push(err.message));
  const job = await queue.add('flaky', {}, { attempts: 3, backoff: { type: 'exponential', delay: backoff } });
  assert.equal(await job.waitUntilFinished(queueEvents, 30_000), 'third time');
  assert.equal(attempts.length, 3);
  assert.deepEqual(failures, ['attempt 1 fails', 'attempt 2 fails']);
  assert.deepEqual(
    attempts.map((a) => a.attemptsMade),
    [0, 1, 2],
  );
  // Exponential: the second retry waits twice the first (200 ms, 400 ms).
  assert.ok(attempts[1].at - attempts[0].at >= backoff, 'first retry waited its backoff');
  assert.ok(attempts[2].at - attempts[1].at >= 2 * backoff, 'second retry waited twice as long');
  const stored = await Job.fromId(queue, job.id);
  assert.equal(stored.attemptsMade, 3);
  assert.equal(stored.returnvalue, 'third time');
  assert.equal(await stored.getState(), 'completed');
});

test('completed and failed jobs are kept up to removeOnComplete / removeOnFail', { timeout: testTimeout }, async () => {
  const name = uniqueName('retention');
  const queue = track(new Queue(name, { connection }));
  const keepCompleted = 3;
  const keepFailed = 2;
  const completing = 10;
  const failing = 6;
  let finished = 0;
  const allFinished = new Promise((resolve) => {
    const worker = track(
      new Worker(
        name,
        async (job) => {
          if (job.data.fail) throw new Error('fails on purpose');
          return job.data.i;
        },
        { connection },
      ),
    );
    const count = () => {
      finished++;
      if (finished === completing + failing) resolve();
    };
    worker.on('completed', count);
    worker.on('failed', count);
  });
  const jobs = [];
  for (let i = 0; i < completing; i++) {
    jobs.push({ name: 'ok', data: { i }, opts: { removeOnComplete: keepCompleted } });
  }
  for (let i = 0; i < failing; i++) {
    jobs.push({ name: 'bad', data: { i, fail: true }, opts: { removeOnFail: keepFailed } });
  }
  await queue.addBulk(jobs);
  await allFinished;
  await waitFor(
    async () => (await queue.getCompletedCount()) === keepCompleted && (await queue.getFailedCount()) === keepFailed,
    'retention to trim completed and failed jobs',
  );
  const completed = await queue.getCompleted();
  assert.deepEqual(
    completed.map((j) => j.returnvalue).sort((a, b) => a - b),
    [7, 8, 9],
    'the newest completed jobs are kept',
  );
  const failed = await queue.getFailed();
  assert.equal(failed.length, keepFailed);
  for (const j of failed) assert.equal(j.failedReason, 'fails on purpose');
  // Removed jobs leave no hash behind.
  const client = track(new Redis(connection));
  client.close = () => client.quit();
  const jobKeys = await client.keys(`bull:${name}:[0-9]*`);
  const jobHashes = jobKeys.filter((k) => /:\d+$/.test(k));
  assert.equal(jobHashes.length, keepCompleted + keepFailed);
});

test('higher priority jobs run first', { timeout: testTimeout }, async () => {
  const name = uniqueName('priority');
  const queue = track(new Queue(name, { connection }));
  await queue.add('low', { p: 10 }, { priority: 10 });
  await queue.add('high', { p: 1 }, { priority: 1 });
  await queue.add('none', { p: 0 });
  await queue.add('mid', { p: 5 }, { priority: 5 });
  assert.equal(await queue.getPrioritizedCount(), 3);
  const order = [];
  const done = new Promise((resolve) => {
    track(
      new Worker(
        name,
        async (job) => {
          order.push(job.name);
          if (order.length === 4) resolve();
        },
        { connection },
      ),
    );
  });
  await done;
  assert.deepEqual(order, ['none', 'high', 'mid', 'low']);
});

test('a paused queue holds its jobs until resumed', { timeout: testTimeout }, async () => {
  const name = uniqueName('pause');
  const queue = track(new Queue(name, { connection }));
  await queue.pause();
  assert.equal(await queue.isPaused(), true);
  let ran = 0;
  track(new Worker(name, async () => { ran++; }, { connection }));
  await queue.add('held', {});
  await queue.add('held', {});
  await sleep(500);
  assert.equal(ran, 0, 'no job runs while the queue is paused');
  assert.equal(await queue.getWaitingCount(), 2);
  await queue.resume();
  await waitFor(() => ran === 2, 'both jobs after resume');
  await waitFor(async () => (await queue.getCompletedCount()) === 2, 'both jobs completed');
});

test('a flow runs the children before the parent', { timeout: testTimeout }, async () => {
  const name = uniqueName('flow');
  const flow = track(new FlowProducer({ connection }));
  const queueEvents = await started(track(new QueueEvents(name, { connection })));
  track(
    new Worker(
      name,
      async (job) => {
        if (job.name === 'child') return job.data.n * 10;
        const values = await job.getChildrenValues();
        return Object.values(values).reduce((a, b) => a + b, 0);
      },
      { connection, concurrency: 3 },
    ),
  );
  const tree = await flow.add({
    name: 'parent',
    queueName: name,
    children: [1, 2, 3].map((n) => ({ name: 'child', queueName: name, data: { n } })),
  });
  assert.equal(await tree.job.waitUntilFinished(queueEvents, 30_000), 60);
});

test('job logs, removal and obliterate', { timeout: testTimeout }, async () => {
  const name = uniqueName('admin');
  const queue = track(new Queue(name, { connection }));
  const job = await queue.add('logged', { x: 1 });
  await job.log('first line');
  await job.log('second line');
  const logs = await queue.getJobLogs(job.id);
  assert.deepEqual(logs, { logs: ['first line', 'second line'], count: 2 });
  await job.updateData({ x: 2 });
  assert.deepEqual((await Job.fromId(queue, job.id)).data, { x: 2 });
  const other = await queue.add('removed', {});
  await other.remove();
  assert.equal(await Job.fromId(queue, other.id), undefined);
  assert.equal(await queue.getWaitingCount(), 1);
  await queue.drain();
  assert.equal(await queue.getWaitingCount(), 0);
  await queue.add('again', {});
  await queue.pause();
  await queue.obliterate();
  const client = track(new Redis(connection));
  client.close = () => client.quit();
  assert.deepEqual(await client.keys(`bull:${name}:*`), []);
});

test('a job scheduler repeats a job', { timeout: testTimeout }, async () => {
  const name = uniqueName('repeat');
  const queue = track(new Queue(name, { connection }));
  let runs = 0;
  track(new Worker(name, async () => { runs++; }, { connection }));
  await queue.upsertJobScheduler('tick', { every: 300 }, { name: 'tick', data: {} });
  await waitFor(() => runs >= 3, 'three repetitions');
  assert.equal((await queue.getJobSchedulers()).length, 1);
  assert.equal(await queue.removeJobScheduler('tick'), true);
});

test('a rate-limited worker keeps to its limit', { timeout: testTimeout }, async () => {
  const name = uniqueName('limited');
  const queue = track(new Queue(name, { connection }));
  const limit = { max: 2, duration: 400 };
  const ranAt = [];
  track(new Worker(name, async () => { ranAt.push(Date.now()); }, { connection, limiter: limit }));
  await queue.addBulk([1, 2, 3, 4, 5, 6].map((i) => ({ name: 'limited', data: { i } })));
  await waitFor(async () => (await queue.getCompletedCount()) === 6, 'all limited jobs completed');
  // Six jobs, two per window: the last starts at least two windows after
  // the first.
  assert.ok(ranAt[5] - ranAt[0] >= 2 * limit.duration - 50, `six jobs in ${ranAt[5] - ranAt[0]} ms`);
});
