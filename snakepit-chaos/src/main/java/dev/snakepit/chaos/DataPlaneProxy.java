package dev.snakepit.chaos;

import dev.snakepit.spi.DataPlaneInterceptor;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fault-injecting proxy on the workers' data plane. Put it in a pool with
 * {@link dev.snakepit.PoolConfig.Builder#dataPlaneInterceptor}: each worker then connects to a socket of
 * the proxy, which relays whole frames to and from the pool's socket, and on command delays them,
 * throttles them, cuts one short, corrupts one, or drops the connection.
 *
 * <pre>{@code
 * try (DataPlaneProxy proxy = new DataPlaneProxy();
 *      Snakepit pool = Snakepit.start(ChaosAdapter.pool("proxied").dataPlaneInterceptor(proxy).build())) {
 *   proxy.delay(Duration.ofMillis(50));            // every frame from now on, both ways
 *   proxy.corruptNext(DataPlaneProxy.Direction.TO_POOL);   // the next reply breaks the protocol
 * }
 * }</pre>
 *
 * <p>Faults apply to frames relayed after the command, on every connection. One-shot faults
 * ({@link #truncateNext}, {@link #corruptNext}) hit the next frame going that way, on whichever
 * connection it travels. Close the proxy after the pool. Thread-safe.
 */
public final class DataPlaneProxy implements DataPlaneInterceptor, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DataPlaneProxy.class);
  private static final int CHUNK = 64 * 1024;
  /** The reserved field of a frame's header, which a receiver requires to be zero (docs/protocol.md 2.1). */
  private static final int RESERVED_OFFSET = 6;

  /** Which way a frame travels. */
  public enum Direction {
    /** From the pool to the worker: calls, the handshake's WELCOME. */
    TO_WORKER,
    /** From the worker to the pool: results and errors, the handshake's HELLO. */
    TO_POOL
  }

  private final List<Link> links = new CopyOnWriteArrayList<>();
  private final AtomicInteger[] truncations = {new AtomicInteger(), new AtomicInteger()};
  private final AtomicInteger[] corruptions = {new AtomicInteger(), new AtomicInteger()};
  private final AtomicLong framesRelayed = new AtomicLong();
  private final AtomicLong faultsInjected = new AtomicLong();
  private volatile long delayNanos;
  private volatile long bytesPerSecond;
  private volatile boolean closed;

  @Override
  public Path workerSocket(String pool, String workerId, Path poolSocket) throws IOException {
    if (closed) {
      throw new IOException("the data-plane proxy is closed; worker " + workerId + " of pool '" + pool + "' cannot use it");
    }
    String name = poolSocket.getFileName().toString();
    Path own = poolSocket.resolveSibling(name.replaceFirst("\\.sock$", "") + ".proxy.sock");
    Files.deleteIfExists(own);
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      server.bind(UnixDomainSocketAddress.of(own), 1);
    } catch (IOException e) {
      server.close();
      throw e;
    }
    Link link = new Link(pool, workerId, server, own, poolSocket);
    links.add(link);
    Thread.ofPlatform().daemon().name("snakepit-chaos-proxy-" + pool + "-" + workerId).start(link::accept);
    return own;
  }

  /** Holds every frame, both ways, for {@code value} before relaying it; zero stops delaying. */
  public void delay(Duration value) {
    if (value == null || value.isNegative()) {
      throw new IllegalArgumentException("delay: " + value + " is invalid; it must be zero or positive");
    }
    delayNanos = value.toNanos();
  }

  /** Relays at most {@code value} bytes per second each way on each connection; zero stops throttling. */
  public void throttle(long value) {
    if (value < 0) {
      throw new IllegalArgumentException("throttle: " + value + " bytes per second is invalid; it must be zero or positive");
    }
    bytesPerSecond = value;
  }

  /**
   * Cuts the next frame going {@code direction} in half and then drops its connection, as a peer dying
   * mid-write would.
   */
  public void truncateNext(Direction direction) {
    truncations[direction.ordinal()].incrementAndGet();
  }

  /** Sets the reserved header field of the next frame going {@code direction}, which its receiver must reject. */
  public void corruptNext(Direction direction) {
    corruptions[direction.ordinal()].incrementAndGet();
  }

  /** Drops the connection of worker {@code workerId}, both ways at once; says whether it was connected. */
  public boolean reset(String workerId) {
    for (Link link : links) {
      if (link.workerId.equals(workerId) && link.connected()) {
        faultsInjected.incrementAndGet();
        link.close();
        return true;
      }
    }
    return false;
  }

  /** Drops the connection of a worker chosen by {@code random}; returns its id, or null when none is connected. */
  public String resetRandom(RandomGenerator random) {
    List<String> connected = connectedWorkers();
    if (connected.isEmpty()) {
      return null;
    }
    String victim = connected.get(random.nextInt(connected.size()));
    return reset(victim) ? victim : null;
  }

  /** Stops every fault: no delay, no throttle, no pending truncation or corruption. */
  public void clear() {
    delayNanos = 0;
    bytesPerSecond = 0;
    for (int i = 0; i < 2; i++) {
      truncations[i].set(0);
      corruptions[i].set(0);
    }
  }

  /** The ids of the workers whose connection the proxy relays now. */
  public List<String> connectedWorkers() {
    return links.stream().filter(Link::connected).map(l -> l.workerId).toList();
  }

  /** Frames relayed so far, both ways, counting one still on its way. */
  public long framesRelayed() {
    return framesRelayed.get();
  }

  /** Faults applied so far: truncated, corrupted and reset connections (delays and throttling not counted). */
  public long faultsInjected() {
    return faultsInjected.get();
  }

  /** Drops every connection and stops listening. Workers still running lose their data plane. */
  @Override
  public void close() {
    closed = true;
    links.forEach(Link::close);
  }

  /** One worker's connection: the socket it connects to, and the relay to the pool's socket. */
  private final class Link {
    final String pool;
    final String workerId;
    final ServerSocketChannel server;
    final Path own;
    final Path poolSocket;
    volatile SocketChannel worker;
    volatile SocketChannel toPool;
    volatile boolean closed;

    Link(String pool, String workerId, ServerSocketChannel server, Path own, Path poolSocket) {
      this.pool = pool;
      this.workerId = workerId;
      this.server = server;
      this.own = own;
      this.poolSocket = poolSocket;
    }

    boolean connected() {
      return !closed && worker != null && toPool != null;
    }

    void accept() {
      try {
        worker = server.accept();
        server.close();
        Files.deleteIfExists(own);
        toPool = SocketChannel.open(UnixDomainSocketAddress.of(poolSocket));
        if (closed) {
          close();
          return;
        }
        Thread.ofPlatform().daemon().name("snakepit-chaos-proxy-" + pool + "-" + workerId + "-to-worker")
            .start(() -> pump(toPool, worker, Direction.TO_WORKER));
        pump(worker, toPool, Direction.TO_POOL);
      } catch (IOException e) {
        LOG.debug("proxy of worker {} of pool '{}' could not connect: {}", workerId, pool, e.toString());
        close();
      }
    }

    /** Relays frames from {@code in} to {@code out} until either side ends, applying the faults in force. */
    private void pump(SocketChannel in, SocketChannel out, Direction direction) {
      ByteBuffer head = ByteBuffer.allocate(8);
      ByteBuffer chunk = ByteBuffer.allocate(CHUNK);
      try {
        while (readFully(in, head.clear())) {
          long length = Integer.toUnsignedLong(head.getInt(0)) - 4;
          long delay = delayNanos;
          if (delay > 0) {
            LockSupport.parkNanos(delay);
          }
          if (takeOne(corruptions, direction)) {
            head.put(RESERVED_OFFSET, (byte) 0xff).put(RESERVED_OFFSET + 1, (byte) 0xff);
            faultsInjected.incrementAndGet();
          }
          boolean truncate = takeOne(truncations, direction);
          if (!truncate) {
            framesRelayed.incrementAndGet(); // before the frame goes out: its receiver may act on it at once
          }
          long body = Math.max(0, length);
          long toSend = truncate ? body / 2 : body;
          writeFully(out, head.flip());
          throttle(head.limit());
          while (toSend > 0) {
            chunk.clear().limit((int) Math.min(CHUNK, toSend));
            if (in.read(chunk) < 0) {
              throw new EOFException();
            }
            toSend -= chunk.position();
            int n = chunk.position();
            writeFully(out, chunk.flip());
            throttle(n);
          }
          if (truncate) {
            faultsInjected.incrementAndGet();
            LOG.debug("proxy cut a frame to {} short on worker {} of pool '{}'", direction, workerId, pool);
            break;
          }
        }
      } catch (IOException e) {
        // A side went away, or the link was closed: either way the relay ends.
      } finally {
        close();
      }
    }

    private void throttle(int bytes) {
      long rate = bytesPerSecond;
      if (rate > 0) {
        LockSupport.parkNanos(bytes * 1_000_000_000L / rate);
      }
    }

    void close() {
      closed = true;
      links.remove(this);
      closeQuietly(server);
      closeQuietly(worker);
      closeQuietly(toPool);
      try {
        Files.deleteIfExists(own);
      } catch (IOException ignored) {
        // The pool deletes its run directory, socket files included, when it closes.
      }
    }
  }

  private static boolean takeOne(AtomicInteger[] pending, Direction direction) {
    AtomicInteger count = pending[direction.ordinal()];
    for (int n = count.get(); n > 0; n = count.get()) {
      if (count.compareAndSet(n, n - 1)) {
        return true;
      }
    }
    return false;
  }

  /** Reads until {@code buffer} is full; false on a clean end of stream before the first byte. */
  private static boolean readFully(SocketChannel in, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      if (in.read(buffer) < 0) {
        if (buffer.position() == 0) {
          return false;
        }
        throw new EOFException();
      }
    }
    return true;
  }

  private static void writeFully(SocketChannel out, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      out.write(buffer);
    }
  }

  private static void closeQuietly(Channel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // Closing is best effort; the channel is unusable either way.
      }
    }
  }

  @Override
  public String toString() {
    return "DataPlaneProxy[connections=" + connectedWorkers().size() + ", frames=" + framesRelayed + ", faults="
        + faultsInjected + "]";
  }
}
