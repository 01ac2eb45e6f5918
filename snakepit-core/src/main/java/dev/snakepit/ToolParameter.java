package dev.snakepit;

/**
 * One parameter of a tool.
 *
 * @param name the parameter's name
 * @param kind how it may be passed
 * @param required whether a call must supply it (it has no default and is not variadic)
 * @param hasDefault whether it has a default value
 * @param defaultValue the default converted to Java, when it is a value the protocol carries;
 *     {@code null} otherwise (see {@code defaultRepr})
 * @param defaultRepr Python's {@code repr()} of the default, or {@code null} without one
 * @param annotation the type annotation as written in Python, or {@code null}
 */
public record ToolParameter(
    String name,
    Kind kind,
    boolean required,
    boolean hasDefault,
    Object defaultValue,
    String defaultRepr,
    String annotation) {

  /** Python's parameter kinds. */
  public enum Kind {
    POSITIONAL_ONLY,
    POSITIONAL_OR_KEYWORD,
    KEYWORD_ONLY,
    /** {@code *args} */
    VAR_POSITIONAL,
    /** {@code **kwargs} */
    VAR_KEYWORD
  }

  /** The parameter as Python prints it in a signature, such as {@code b: int = 2}. */
  public String describe() {
    String prefix = kind == Kind.VAR_POSITIONAL ? "*" : kind == Kind.VAR_KEYWORD ? "**" : "";
    StringBuilder out = new StringBuilder(prefix).append(name);
    if (annotation != null) {
      out.append(": ").append(annotation);
    }
    if (hasDefault) {
      out.append(annotation != null ? " = " : "=").append(defaultRepr);
    }
    return out.toString();
  }
}
