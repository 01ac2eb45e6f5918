/**
 * Support for integration tests that run real Python workers.
 *
 * <p>Mark each such class {@link dev.snakepit.testing.PoolTest @PoolTest}: it fails if the class
 * leaves a process, a thread or a file descriptor behind, and bounds every test in time. Build pools
 * with {@link dev.snakepit.testing.TestPools}, which uses the interpreter the build chose
 * ({@code snakepit.test.python}), puts the test adapters of {@code src/test/python/pooltests} on the
 * path and marks the workers for the leak check. Prefer one pool per class, shared by tests that do
 * not disturb each other, and wait with Awaitility, latches or futures, never with a sleep.
 */
package dev.snakepit.testing;
