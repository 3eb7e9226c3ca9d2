import { serveTasks } from './worker-pool.ts';

/** A worker for worker-pool.test.ts that does what each task says: answer, throw, take its time, or die. */
export type FixtureTask = { do: 'echo'; value: number } | { do: 'throw' } | { do: 'sleep'; ms: number; value: number } | { do: 'exit' };

serveTasks<FixtureTask, number>(async (task) => {
  switch (task.do) {
    case 'echo':
      return task.value;
    case 'throw':
      throw new Error('asked to fail');
    case 'sleep':
      await new Promise((resolve) => setTimeout(resolve, task.ms));
      return task.value;
    case 'exit':
      process.exit(3);
  }
});
