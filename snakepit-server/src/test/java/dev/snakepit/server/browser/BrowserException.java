package dev.snakepit.server.browser;

/**
 * The browser could not be started, did not answer in time, or a script it ran threw. The message
 * says which call or script, and what the browser said or last wrote to its stderr.
 */
public final class BrowserException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  BrowserException(String message) {
    super(message);
  }

  BrowserException(String message, Throwable cause) {
    super(message, cause);
  }
}
