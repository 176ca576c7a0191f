/**
 * Options every BullMQ worker of the project shares.
 *
 * An idle worker long-polls its queue (BZPOPMIN on the queue's marker) for `drainDelay`
 * seconds, then runs a short cycle of commands and polls again; a job added meanwhile wakes it
 * at once, so the wait costs no latency. BullMQ's default of 5 s made the ~35 workers of one
 * process (16 partitions × samples and logs, plus correlate, notify, remediate) send about 56
 * commands a second with no traffic at all (`npm run bench -- idle`). 10 s halves that; it is
 * also the longest block BullMQ itself allows around delayed jobs, for reconnections' sake.
 */
export const IDLE_WORKER = { drainDelay: 10 } as const;
