package dev.snakepit.internal.process;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The signals the pool sends by pid never reach a process group or every process by accident. */
class ProcessTreeTest {

  @Test
  void aPidBelowTwoIsNeverSignalled() {
    // kill(1) reads 0 as the caller's own process group (this JVM's: SIGUSR2 would end it) and -1 as
    // every process; a worker whose pid is not known yet has 0.
    assertThat(ProcessTree.signal(0, "USR2")).isFalse();
    assertThat(ProcessTree.signal(-1, "USR2")).isFalse();
    assertThat(ProcessTree.signal(1, "USR2")).isFalse();
    assertThat(ProcessTree.killGroup(0)).isZero();
  }
}
