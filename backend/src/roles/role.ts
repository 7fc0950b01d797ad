/** A started role. stop() stops taking work, finishes what is in flight and closes connections. */
export interface RunningRole {
  stop(): Promise<void>;
}
