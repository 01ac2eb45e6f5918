package dev.snakepit.cli;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The bounds of a whole-number option, written next to its {@code @Option}: {@link RangeConverter}
 * enforces them and adds them, with the default, to the option's help.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
@interface Range {
  int min();

  int max();
}
