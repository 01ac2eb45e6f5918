/**
 * The Snakepit chaos kit: a misbehaving Python adapter, fault injectors, a fault-injecting proxy on the
 * workers' data plane and jqwik generators of fault sequences, for testing what a pool, and the code
 * around it, does when things break. Start with {@link dev.snakepit.chaos.ChaosAdapter} and
 * {@link dev.snakepit.chaos.Faults}; {@code docs/cookbook/testing-catastrophic-failures.md} walks
 * through a test of one's own adapter.
 */
module dev.snakepit.chaos {
  requires transitive dev.snakepit;
  requires transitive net.jqwik.api;
  requires org.slf4j;

  exports dev.snakepit.chaos;
}
