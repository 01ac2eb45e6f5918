package dev.snakepit.internal.control;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Where a worker's output goes in SLF4J. Raw output (anything written to stdout or stderr) goes to the
 * pool's logger {@code dev.snakepit.python.<pool>} at INFO; Python {@code logging} records go to
 * {@code dev.snakepit.python.<pool>.<python logger>} at their own level, so they can be tuned per
 * Python logger. The MDC carries {@value #MDC_POOL} and {@value #MDC_WORKER} while each line is logged.
 */
public final class WorkerLogs {
  /** MDC key holding the pool's name. */
  public static final String MDC_POOL = "snakepit.pool";
  /** MDC key holding the worker's id. */
  public static final String MDC_WORKER = "snakepit.worker";

  private final String pool;
  private final String workerId;
  private final Logger output;
  private final String recordPrefix;

  public WorkerLogs(String pool, String workerId) {
    this.pool = pool;
    this.workerId = workerId;
    this.recordPrefix = "dev.snakepit.python." + pool;
    this.output = LoggerFactory.getLogger(recordPrefix);
  }

  /** Logs one line the worker wrote to stdout or stderr. */
  public void line(String text) {
    if (!output.isInfoEnabled()) {
      return;
    }
    withMdc(() -> output.info(text));
  }

  /** Logs a Python logging record at the SLF4J level matching Python's numeric {@code level}. */
  public void record(int level, String pythonLogger, String message, String exception) {
    String name = pythonLogger == null || pythonLogger.isEmpty() || pythonLogger.equals("root")
        ? recordPrefix
        : recordPrefix + "." + pythonLogger;
    Logger logger = LoggerFactory.getLogger(name);
    String text = exception == null || exception.isEmpty() ? message : message + "\n" + exception.stripTrailing();
    withMdc(() -> {
      if (level >= 40) {
        logger.error(text);
      } else if (level >= 30) {
        logger.warn(text);
      } else if (level >= 20) {
        logger.info(text);
      } else if (level >= 10) {
        logger.debug(text);
      } else {
        logger.trace(text);
      }
    });
  }

  private void withMdc(Runnable log) {
    MDC.put(MDC_POOL, pool);
    MDC.put(MDC_WORKER, workerId);
    try {
      log.run();
    } finally {
      MDC.remove(MDC_POOL);
      MDC.remove(MDC_WORKER);
    }
  }
}
