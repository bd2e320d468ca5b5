// At most `slots` statements in flight, the rest waiting in a bounded queue for a bounded time. pg-pool's own queue
// shares one timer (connectionTimeoutMillis) between "the pool is busy" and "the database does not answer", so a
// busy pool failed requests with 503 after 3 s under load; in front of it, the pool only ever connects or hands out
// an idle client, and its timer measures the database alone.

/** Why a request was not admitted: the queue is full, or no slot freed within the wait. */
export class AdmissionRefused extends Error {}

interface Waiter {
  grant: () => void;
  timer: NodeJS.Timeout;
  /** Gave up waiting: release() passes over it. */
  gone: boolean;
}

export class Admission {
  private active = 0;
  private readonly queue: Waiter[] = [];
  /** Index of the first waiter in `queue` (shifting an array per grant costs O(n) under a deep queue). */
  private head = 0;
  /** Waiters that have not given up. */
  private live = 0;

  constructor(
    private readonly slots: number,
    private readonly maxWaiting: number,
    private readonly waitMs: number,
  ) {}

  get waiting(): number {
    return this.live;
  }

  /** Resolves when a slot is the caller's (then call `release` once); undefined when one was free at once. */
  acquire(): Promise<void> | undefined {
    if (this.active < this.slots) {
      this.active++;
      return undefined;
    }
    if (this.live >= this.maxWaiting) return Promise.reject(new AdmissionRefused(`all ${this.slots} connections busy and ${this.maxWaiting} requests waiting`));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: resolve,
        gone: false,
        timer: setTimeout(() => {
          waiter.gone = true;
          this.live--;
          reject(new AdmissionRefused(`all ${this.slots} connections stayed busy for ${this.waitMs} ms`));
        }, this.waitMs),
      };
      this.queue.push(waiter);
      this.live++;
    });
  }

  release(): void {
    while (this.head < this.queue.length) {
      const waiter = this.queue[this.head++];
      if (this.head === this.queue.length || this.head > 1024) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      if (waiter.gone) continue;
      clearTimeout(waiter.timer);
      this.live--;
      // The slot passes to the waiter: `active` stays the same.
      waiter.grant();
      return;
    }
    this.active--;
  }
}
