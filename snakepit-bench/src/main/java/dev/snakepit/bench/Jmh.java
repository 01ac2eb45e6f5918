package dev.snakepit.bench;

import dev.snakepit.bench.jmh.CodecBenchmark;
import dev.snakepit.bench.jmh.PoolCallBenchmark;
import dev.snakepit.cli.TextTable;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the JMH benchmarks of this module (one fork, short iterations) and tabulates them: the codec, and
 * a whole no-op call on {@code python}.
 */
final class Jmh {
  private Jmh() {}

  static String run(boolean quick, String python) throws Exception {
    Options options = new OptionsBuilder()
        .include(CodecBenchmark.class.getName())
        .include(PoolCallBenchmark.class.getName())
        .forks(1)
        .warmupIterations(quick ? 1 : 3)
        .warmupTime(TimeValue.seconds(1))
        .measurementIterations(quick ? 2 : 5)
        .measurementTime(TimeValue.seconds(1))
        .jvmArgsAppend("-Djava.awt.headless=true", "-D" + PoolCallBenchmark.PYTHON_PROPERTY + "=" + python)
        .build();
    Collection<RunResult> results = new Runner(options).run();
    TextTable table = new TextTable(List.of("benchmark", "time per operation"));
    for (RunResult r : results) {
      String name = r.getParams().getBenchmark();
      table.row("`" + name.substring(name.lastIndexOf('.') + 1) + "`",
          String.format(Locale.ROOT, "%.0f ± %.0f ns", r.getPrimaryResult().getScore(), r.getPrimaryResult().getScoreError()));
    }
    return table.renderMarkdown();
  }
}
