package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class that leaves a process behind: every descendant of this JVM that appeared while the
 * class ran must be gone (within a short bound) when it ends. Stragglers are killed, so that one failing
 * class cannot leak processes into the rest of the build.
 */
final class NoLeftoverProcesses implements BeforeAllCallback, AfterAllCallback {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(NoLeftoverProcesses.class);
  private static final Duration BOUND = Duration.ofSeconds(10);

  @Override
  public void beforeAll(ExtensionContext context) {
    context.getStore(NAMESPACE).put("before", descendants());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    @SuppressWarnings("unchecked")
    Set<ProcessHandle> before = (Set<ProcessHandle>) context.getStore(NAMESPACE).get("before", Set.class);
    List<ProcessHandle> left;
    try {
      Awaitility.await().atMost(BOUND).pollInterval(Duration.ofMillis(50))
          .until(() -> leftovers(before).isEmpty());
      return;
    } catch (ConditionTimeoutException e) {
      left = leftovers(before);
    }
    String described = left.stream()
        .map(p -> p.pid() + " " + p.info().commandLine().orElse("?"))
        .collect(Collectors.joining("; "));
    left.forEach(ProcessHandle::destroyForcibly);
    assertThat(described).as("processes left behind by " + context.getDisplayName()).isEmpty();
  }

  private static Set<ProcessHandle> descendants() {
    return ProcessHandle.current().descendants().collect(Collectors.toSet());
  }

  private static List<ProcessHandle> leftovers(Set<ProcessHandle> before) {
    return ProcessHandle.current().descendants().filter(p -> !before.contains(p)).filter(ProcessHandle::isAlive).toList();
  }
}
