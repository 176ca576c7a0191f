/**
 * Options every BullMQ worker of the project shares.
 *
 * An idle worker long-polls its queue (BZPOPMIN on the queue's marker) for `drainDelay`
 * seconds, then runs a short cycle of commands (moveToActive) and polls again; a job added
 * meanwhile wakes it at once, so the wait costs no latency. The ~35 workers of one process
 * (16 partitions × samples and logs, plus correlate, notify, remediate) sent about 56 commands a
 * second with no traffic at all at BullMQ's default of 5 s, 49 at 10 s and 30 at 30 s
 * (`npm run bench -- idle`). The wait is not capped by BullMQ when the queue holds no delayed
 * job (with one, BullMQ blocks at most 10 s, until it is due), and BullMQ's watchdog ends a
 * wait that Redis never answers (a connection lost mid-command) 1 s after it: a worker whose
 * connection hangs that way takes at most 31 s to poll again. A reconnection proper re-sends
 * the wait at once, so a Redis restart is not delayed (test/integration/redis-empty-restart).
 */
export const IDLE_WORKER = { drainDelay: 30 } as const;
