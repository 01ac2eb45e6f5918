package dev.snakepit.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks an integration test class that runs real Python workers: the class fails if it leaves a
 * process, a thread or a file descriptor behind ({@link NoLeaks}), and no test method may run longer
 * than a minute, so a hung pool fails the build instead of stalling it.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(NoLeaks.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public @interface PoolTest {}
