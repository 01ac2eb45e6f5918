package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.TestPools;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a worker finds around it: huge pages for large allocations, and a large send buffer on its socket. */
@PoolTest
class WorkerEnvironmentTest {
  private static final String ADAPTER = "pooltests.tools:PoolTestAdapter";

  @Test
  void workersGetHugePagesForLargeAllocationsByDefault() {
    try (Snakepit pool = TestPools.start(TestPools.builder(ADAPTER, "tunables-default").size(1))) {
      String tunables = (String) pool.execute("variable", Map.of("name", "GLIBC_TUNABLES"));
      String inherited = System.getenv("GLIBC_TUNABLES");

      if (inherited == null || inherited.isEmpty()) {
        assertThat(tunables).isEqualTo("glibc.malloc.hugetlb=1");
      } else {
        assertThat(tunables).startsWith(inherited);
      }
    }
  }

  @Test
  void otherTunablesAreKeptAndAnExplicitHugePageSettingWins() {
    try (Snakepit others = TestPools.start(TestPools.builder(ADAPTER, "tunables-other").size(1)
            .environment("GLIBC_TUNABLES", "glibc.malloc.arena_max=2"));
        Snakepit off = TestPools.start(TestPools.builder(ADAPTER, "tunables-off").size(1)
            .environment("GLIBC_TUNABLES", "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0"))) {
      assertThat(others.execute("variable", Map.of("name", "GLIBC_TUNABLES")))
          .isEqualTo("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1");
      assertThat(off.execute("variable", Map.of("name", "GLIBC_TUNABLES")))
          .isEqualTo("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0");
    }
  }

  @Test
  void theWorkersEndOfTheDataSocketAsksForAFourMebibyteSendBuffer() {
    try (Snakepit pool = TestPools.start(TestPools.builder(ADAPTER, "send-buffer").size(1))) {
      List<?> reported = (List<?>) pool.execute("data_socket_send_buffer", Map.of());
      long size = ((Number) reported.get(0)).longValue();
      long cap = ((Number) reported.get(1)).longValue();

      // Linux caps the request at net.core.wmem_max and reports twice what it granted.
      assertThat(size).isEqualTo(2 * Math.min(4L << 20, cap));
    }
  }
}
