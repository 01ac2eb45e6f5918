package dev.snakepit.spring;

import dev.snakepit.PoolConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.util.unit.DataSize;

/**
 * The settings of one pool, {@code snakepit.pools.<name>.*}: one per setting of {@link PoolConfig.Builder},
 * named as the builder's method in kebab case ({@code callTimeout} is {@code call-timeout}). A setting
 * left out (null here) keeps the builder's default; {@link PoolConfigMapper} applies the others through
 * the builder, whose rules and messages are the only ones. Durations take Spring's forms ({@code 30s},
 * {@code 500ms}, {@code PT30S}; a bare number is milliseconds); byte amounts take {@code 512MB} or a
 * number of bytes.
 *
 * <p>Not here, because they are Java objects: the listener and the tracer (a single {@code PoolListener}
 * or {@code CallTracer} bean is used), host functions and the data-plane interceptor (set them with a
 * {@link SnakepitPoolCustomizer}).
 *
 * @param adapter the adapter class, {@code package.module:Class}; required
 * @param name the pool's name; by default the key under {@code snakepit.pools}
 * @param pythonPath directories added to the workers' {@code sys.path}, in order
 * @param environment variables set for the workers
 * @param requirements a requirements file: the workers run in a virtual environment the pool makes from it
 * @param pyproject a {@code pyproject.toml}: the workers run in a virtual environment with its project installed
 * @param wheelDirectory where pip installs from instead of an index, for {@code requirements} or {@code pyproject}
 * @param preload whether workers are forked from a template that ran the adapter's {@code preload()}
 * @param crashLoop {@code crash-loop.crashes} and {@code crash-loop.window}; a half left out keeps its default
 * @param recycleAboveErrorRate {@code recycle-above-error-rate.rate} and {@code .window}; likewise
 */
public record PoolProperties(
    String adapter,
    String name,
    Integer size,
    String pythonExecutable,
    String workingDirectory,
    List<String> pythonPath,
    Map<String, String> environment,
    String requirements,
    String pyproject,
    String wheelDirectory,
    Boolean preload,
    Duration callTimeout,
    Duration acquireTimeout,
    Integer maxQueue,
    Duration startTimeout,
    Duration shutdownGrace,
    Duration cancelGrace,
    DataSize maxFrameBytes,
    Duration heartbeatInterval,
    Duration heartbeatTimeout,
    CrashLoop crashLoop,
    Double maxCrashRate,
    Long recycleAfterCalls,
    Duration recycleAfterAge,
    DataSize recycleAboveMemory,
    ErrorRate recycleAboveErrorRate,
    Double recycleJitter,
    DataSize workerMemoryLimit,
    Double workerCpuLimit,
    String pythonLogLevel,
    PoolConfig.PythonArrays pythonArrays,
    Integer maxSessionsPerWorker,
    Duration sessionLeakThreshold,
    Duration sessionDrainTimeout,
    Integer maxHostCallDepth,
    Integer pipelineDepth,
    Boolean sharedMemory,
    DataSize sharedMemoryThreshold,
    String sharedMemoryDirectory) {

  /** {@link PoolConfig.Builder#crashLoop}: so many crashes within the window make a crash loop. */
  public record CrashLoop(Integer crashes, Duration window) {}

  /** {@link PoolConfig.Builder#recycleAboveErrorRate}: the share of errors among a worker's latest calls. */
  public record ErrorRate(Double rate, Integer window) {}
}
