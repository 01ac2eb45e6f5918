package dev.snakepit;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * What a {@link Snakepit#reload} did: the generation now serving, and how the one it replaced is
 * stopping.
 *
 * @param generation the generation serving new calls now: 2 after the first reload
 * @param previousGeneration the generation it replaced, draining now
 * @param startup how long the new generation took to start and pass its gate
 * @param previousStopped completes once every process of the previous generation is gone; it never
 *     completes exceptionally
 */
public record Reload(int generation, int previousGeneration, Duration startup, CompletableFuture<Void> previousStopped) {}
