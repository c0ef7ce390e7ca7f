/**
 * Hands finished chunks from a reader to a converter, one conversion at a time, so that the reader
 * fills chunk n+1 while chunk n converts. A reader asks `full` after each chunk and waits for
 * `room()` (pausing its source) while a finished chunk is already waiting: at most one chunk
 * converts, one waits and one is being written, which bounds the scratch space to three chunks.
 */
export class ChunkQueue<T> {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;
  private failure: { error: unknown } | undefined;
  private roomWaiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];

  /**
   * @param convert - converts one chunk; a rejection stops the queue
   * @param onFailure - called once with the first failure, so the reader can stop its source at once
   */
  constructor(
    private readonly convert: (item: T) => Promise<void>,
    private readonly onFailure: (error: unknown) => void = () => undefined,
  ) {}

  push(item: T): void {
    this.waiting++;
    this.tail = this.tail.then(async () => {
      this.waiting--;
      this.wakeRoomWaiters();
      if (this.failure) return;
      try {
        await this.convert(item);
      } catch (error) {
        this.fail(error);
      }
    });
  }

  /** A finished chunk waits for the converter: the reader should wait before filling another. */
  get full(): boolean {
    return this.waiting > 0;
  }

  /** Resolves when no finished chunk waits; rejects with the converter's failure. */
  room(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure.error);
    if (!this.full) return Promise.resolve();
    return new Promise((resolve, reject) => this.roomWaiters.push({ resolve, reject }));
  }

  /** Waits until every chunk pushed is converted; throws the first failure. */
  async drain(): Promise<void> {
    await this.tail;
    if (this.failure) throw this.failure.error;
  }

  /** Stops the queue from outside (the reader failed): chunks not yet converted are skipped. */
  fail(error: unknown): void {
    if (this.failure) return;
    this.failure = { error };
    const waiters = this.roomWaiters.splice(0);
    for (const waiter of waiters) waiter.reject(error);
    this.onFailure(error);
  }

  private wakeRoomWaiters(): void {
    if (this.full || this.failure) return;
    const waiters = this.roomWaiters.splice(0);
    for (const waiter of waiters) waiter.resolve();
  }
}
