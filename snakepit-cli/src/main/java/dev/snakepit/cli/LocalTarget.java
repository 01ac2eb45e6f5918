package dev.snakepit.cli;

import dev.snakepit.Call;
import dev.snakepit.PoolConfig;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitException;
import dev.snakepit.server.internal.PoolViews;
import dev.snakepit.server.internal.ToolCalls;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** A pool started for one command and closed after it. */
final class LocalTarget implements ToolTarget {
  private final Snakepit pool;

  private LocalTarget(Snakepit pool) {
    this.pool = pool;
  }

  /** Starts {@code config}, whose listener is {@code progress}, drawing it while the worker starts. */
  static LocalTarget start(PoolConfig config, StartProgress progress) {
    progress.expect(config.size());
    try {
      return new LocalTarget(Snakepit.start(config));
    } finally {
      progress.finish();
    }
  }

  @Override
  public List<Map<String, Object>> tools() {
    return PoolViews.tools(pool.tools());
  }

  @Override
  public Answer call(String tool, Map<String, Object> arguments, Duration timeout) {
    Call call = Call.of(tool, arguments);
    if (timeout != null) {
      call = call.withTimeout(timeout);
    }
    try {
      return new Answer(true, ToolCalls.answer(pool.executeDetailed(call)));
    } catch (SnakepitException e) {
      return new Answer(false, Map.of("error", ToolCalls.error(e)));
    }
  }

  @Override
  public void close() {
    pool.close();
  }
}
