package dev.snakepit.spring;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Reports a refused pool setting at start-up as the property to change, without the bean-creation stack. */
final class PoolPropertyFailureAnalyzer extends AbstractFailureAnalyzer<PoolPropertyException> {
  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, PoolPropertyException cause) {
    return new FailureAnalysis(cause.getMessage(),
        "Change " + cause.property() + " in the application's configuration.", cause);
  }
}
