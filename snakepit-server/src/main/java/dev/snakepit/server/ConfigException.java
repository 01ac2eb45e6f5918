package dev.snakepit.server;

/**
 * A configuration the server cannot run: a value that breaks a rule, a key no setting has, a file that
 * cannot be read. The message names the key ({@code snakepit.pools.main.size}), the value and the rule.
 */
public final class ConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String key;

  public ConfigException(String key, String message, Throwable cause) {
    super(key + ": " + message, cause);
    this.key = key;
  }

  public ConfigException(String key, String message) {
    this(key, message, null);
  }

  /** The key (or file) the problem is in. */
  public String key() {
    return key;
  }
}
