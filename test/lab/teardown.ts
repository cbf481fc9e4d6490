/**
 * Where a lab registers its cleanups: a test's context (`t.after`), or, outside the test
 * runner (benchmarks), a scope that runs them in reverse order when told to.
 */

export interface Teardown {
  after(fn: () => unknown): void;
}

export interface TeardownScope extends Teardown {
  /** Runs every cleanup, last registered first; one failing does not stop the others. */
  run(): Promise<void>;
}

export function teardownScope(): TeardownScope {
  const cleanups: (() => unknown)[] = [];
  return {
    after: (fn) => void cleanups.push(fn),
    async run() {
      const errors: unknown[] = [];
      for (const fn of cleanups.splice(0).reverse()) {
        try {
          await fn();
        } catch (error) {
          errors.push(error);
        }
      }
      if (errors.length > 0) throw new AggregateError(errors, `${errors.length} cleanups failed`);
    },
  };
}
