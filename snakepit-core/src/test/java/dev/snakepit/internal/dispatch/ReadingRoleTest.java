package dev.snakepit.internal.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.internal.dispatch.ReadingRole.Holder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The reading role of ADR 0002: who reads a worker's socket, changing only along its table. */
@Timeout(10)
class ReadingRoleTest {
  private final ReadingRole role = new ReadingRole();
  private final TestLock locked = new TestLock();

  @Test
  void theRoleChangesOnlyAlongTheTable() {
    assertThat(Holder.NONE.canMoveTo(Holder.CALLER)).isTrue();
    assertThat(Holder.NONE.canMoveTo(Holder.READER)).isTrue();
    assertThat(Holder.NONE.canMoveTo(Holder.ENDED)).isTrue();
    assertThat(Holder.NONE.canMoveTo(Holder.NONE)).as("an idle worker is not released twice").isFalse();
    for (Holder reading : new Holder[] {Holder.CALLER, Holder.READER}) {
      for (Holder next : Holder.values()) {
        assertThat(reading.canMoveTo(next)).as(reading + " -> " + next).isTrue();
      }
    }
    for (Holder next : Holder.values()) {
      assertThat(Holder.ENDED.canMoveTo(next)).as("ENDED -> " + next).isEqualTo(next == Holder.ENDED);
    }
  }

  @Test
  void aCallGivesTheRoleToItsCallerOrToTheReaderAndItsEndTakesItBack() {
    role.giveTo(true);
    assertThat(role.holder()).isEqualTo(Holder.CALLER);
    role.giveTo(false);
    assertThat(role.holder()).as("the next queued call is read by the reader thread").isEqualTo(Holder.READER);
    role.release();
    assertThat(role.holder()).isEqualTo(Holder.NONE);
  }

  @Test
  void anIdleWorkerCannotBeReleasedAgain() {
    assertThatThrownBy(role::release).isInstanceOf(IllegalStateException.class)
        .hasMessage("the reading role cannot go from NONE to NONE");
  }

  @Test
  void anEndedRoleStaysEndedWhateverCallsFollow() {
    role.giveTo(true);
    role.end();

    role.giveTo(true);
    role.release();
    role.end();

    assertThat(role.holder()).isEqualTo(Holder.ENDED);
    assertThat(role.ended()).isTrue();
  }

  @Test
  void theReaderThreadWaitsForItsTurnAndEndsWithTheRole() throws Exception {
    TestLock.Waiter<Boolean> firstTurn = locked.startWaiter(() -> role.awaitReaderTurn(locked.lock));
    assertThat(firstTurn.done()).isFalse();
    locked.run(() -> role.giveTo(false));
    assertThat(firstTurn.result()).isTrue();

    locked.run(role::release);
    TestLock.Waiter<Boolean> secondTurn = locked.startWaiter(() -> role.awaitReaderTurn(locked.lock));
    locked.run(role::end);
    assertThat(secondTurn.result()).as("nobody is to read the socket again").isFalse();
  }
}
