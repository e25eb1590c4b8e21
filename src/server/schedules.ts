/**
 * The stack's EventBridge schedules on one machine: each invokes its function with `Event` and its
 * payload, as the rule does on AWS (infra/leedz-stack.ts): once as the server starts (a server that
 * was stopped for a week catches up at once), then at the rule's rate. A refused invocation (the
 * runtime closing; a paused function's events wait, they are not refused) is logged, and the next
 * one comes.
 *
 * @example
 * const schedules = startSchedules(runtime, MARKETPLACE_SCHEDULES, log);
 * schedules.stop(); // at shutdown
 */
import type { Transport } from '../framework/transport.js';
import { LEEDZ_ENDED_SCHEDULE } from '../leedz/controllers/bookkeeping.js';

export interface LocalSchedule {
  functionName: string;
  everyMinutes: number;
  payload: unknown;
}

/** The marketplace's schedules (the outbox sweep is AWS's alone: the local relay reads the outbox itself). */
export const MARKETPLACE_SCHEDULES: readonly LocalSchedule[] = [{ functionName: 'bookkeeping', ...LEEDZ_ENDED_SCHEDULE }];

export function startSchedules(transport: Transport, schedules: readonly LocalSchedule[], log: (line: string) => void): { stop(): void } {
  const fire = (schedule: LocalSchedule) =>
    void transport.invoke(schedule.functionName, schedule.payload, 'Event').catch((error: unknown) => {
      log(`schedule: ${schedule.functionName} could not be invoked: ${(error as Error).message}`);
    });
  const timers = schedules.map((schedule) => {
    fire(schedule);
    const timer = setInterval(() => fire(schedule), schedule.everyMinutes * 60_000);
    timer.unref();
    return timer;
  });
  return {
    stop: () => {
      for (const timer of timers) clearInterval(timer);
    },
  };
}
