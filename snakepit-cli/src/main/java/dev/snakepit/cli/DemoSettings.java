package dev.snakepit.cli;

/**
 * What the demo runs.
 *
 * @param workers the pool's size
 * @param calls how many calls to make in all
 * @param threads how many Java threads make them
 * @param kill whether to SIGKILL one worker mid-run
 * @param python the interpreter, resolved
 */
record DemoSettings(int workers, int calls, int threads, boolean kill, PythonCommand python) {
  /** The adapter the demo's pool runs; it ships with the runtime and needs only the standard library. */
  static final String ADAPTER = "snakepit.examples.demo:DemoAdapter";

  /** The kill happens once this fraction of the calls is done, so there is work before and after it. */
  static final double KILL_AT = 0.4;

  /** The call count after which the demo kills a worker. */
  int killAfter() {
    return (int) Math.max(1, Math.round(calls * KILL_AT));
  }
}
