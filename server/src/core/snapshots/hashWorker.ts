/**
 * Entry point of a hashing thread (see hashPool.ts). Bundled on its own as server/out/hashWorker.js
 * (scripts/build.mjs); under `tsc` it sits beside hashPool.js. Either way hashPool finds it in its
 * own directory.
 */
import { parentPort } from 'worker_threads';
import { finishStore, HashJobResult, runHashJobDeferringSync, WorkerRequest, WorkerResponse } from './hashJobs';

// Files are read, hashed and copied one after the other on this thread; the fsync of each copy runs
// on libuv's thread pool meanwhile, and the batch is answered once every copy is durable.
parentPort?.on('message', async (req: WorkerRequest) => {
  const results: HashJobResult[] = [];
  const syncs: Promise<void>[] = [];
  req.jobs.forEach((job, i) => {
    const { result, pending } = runHashJobDeferringSync(job, true);
    results.push(result);
    if (pending !== undefined) syncs.push(finishStore(job, pending, result).then((r) => void (results[i] = r)));
  });
  await Promise.all(syncs);
  const response: WorkerResponse = { batch: req.batch, results };
  parentPort?.postMessage(response);
});
