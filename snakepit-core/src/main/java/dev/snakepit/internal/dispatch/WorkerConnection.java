package dev.snakepit.internal.dispatch;

import dev.snakepit.ErrorKind;
import dev.snakepit.WorkerExit;
import dev.snakepit.internal.RecyclePolicy;
import dev.snakepit.internal.control.ControlChannel;
import dev.snakepit.internal.protocol.ChannelInput;
import dev.snakepit.internal.protocol.Frame;
import dev.snakepit.internal.protocol.FrameKind;
import dev.snakepit.internal.protocol.FrameReader;
import dev.snakepit.internal.protocol.FrameWriter;
import dev.snakepit.internal.protocol.Handshake;
import dev.snakepit.internal.protocol.Hello;
import dev.snakepit.internal.protocol.ProtocolViolation;
import dev.snakepit.internal.protocol.SharedMemory;
import java.io.Closeable;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker's data plane: accepts the worker's connection, runs the {@link Handshake} on the worker's
 * data thread, then reads replies on whichever thread holds the worker's {@linkplain ReadingRole
 * reading role} (see {@link Dispatcher}): a synchronous caller reading its own reply, or the data
 * thread, which otherwise waits for its turn. Replies go to the {@link Dispatcher}; everything else
 * that happens to the connection goes up to the pool through its {@link Listener}. The socket is in
 * non-blocking mode, and read through a {@link ChannelInput}, so that an interrupted caller closes
 * nothing.
 */
public final class WorkerConnection implements Runnable, WorkerSlot.Replies {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerConnection.class);
  private static final int READ_BUFFER = 64 * 1024;
  /**
   * The send buffer asked for: with the default 208 KiB a large payload wakes the worker's reader
   * hundreds of times. Linux caps it at net.core.wmem_max.
   */
  private static final int SEND_BUFFER = 4 * 1024 * 1024;

  /** What becomes of the connection, reported to the pool; called on the thread that found out. */
  public interface Listener {
    /** The handshake succeeded: the worker can be given calls through {@code slot}. */
    void ready(WorkerSlot slot, Hello hello);

    /** The connection ended or failed; the worker's process is almost certainly dying. */
    void lost(String reason);

    /** The worker broke the protocol, or failed the handshake; it must be killed. */
    void broken(String reason, ErrorKind kind, WorkerExit.PoolReason poolReason);
  }

  /** Where the worker connects, and the token it must present. */
  public record Endpoint(ServerSocketChannel server, Path socketPath, String token) {}

  /** The worker's slot settings: its frame bound, when it is due for recycling, and the pool's shared memory. */
  public record Settings(int maxFrameBytes, RecyclePolicy recycling, SharedMemory sharedMemory) {
    /** Settings without shared memory. */
    public Settings(int maxFrameBytes, RecyclePolicy recycling) {
      this(maxFrameBytes, recycling, SharedMemory.OFF);
    }
  }

  private final String pool;
  private final String workerId;
  private final Endpoint endpoint;
  private final Settings settings;
  private final ControlChannel control;
  /** The worker's pid as the pool knows it, for a HELLO that does not say. */
  private final LongSupplier knownPid;
  private final Dispatcher dispatcher;
  private final Listener listener;

  /** Set by {@link #close}; with {@link #slot}, each side checks the other's after writing its own. */
  private volatile boolean stopped;
  /** Set once the handshake is done. */
  private volatile WorkerSlot slot;
  /** Set once the worker has connected. */
  private volatile SocketChannel channel;
  /** Set once the worker has connected; read only by the thread holding the reading role. */
  private volatile ChannelInput input;
  private FrameReader reader;

  public WorkerConnection(String pool, String workerId, Endpoint endpoint, Settings settings, ControlChannel control,
      LongSupplier knownPid, Dispatcher dispatcher, Listener listener) {
    this.pool = pool;
    this.workerId = workerId;
    this.endpoint = endpoint;
    this.settings = settings;
    this.control = control;
    this.knownPid = knownPid;
    this.dispatcher = dispatcher;
    this.listener = listener;
  }

  @Override
  public void run() {
    try {
      SocketChannel accepted = endpoint.server().accept();
      channel = accepted;
      askForSendBuffer(accepted);
      // One connection per worker: stop listening and remove the socket file at once.
      endpoint.server().close();
      Files.deleteIfExists(endpoint.socketPath());
      ChannelInput in = new ChannelInput(accepted, READ_BUFFER);
      input = in;
      if (stopped) {
        in.close(); // close() ran before the input existed
        return;
      }
      reader = new FrameReader(in, settings.maxFrameBytes(), settings.sharedMemory(), workerId);
      WorkerSlot ready = handshake(reader, new FrameWriter(accepted, settings.maxFrameBytes()));
      if (ready == null) {
        return;
      }
      if (stopped) {
        dispatcher.readingEnded(ready);
        return;
      }
      while (dispatcher.awaitReadingTurn(ready)) {
        if (await(Long.MAX_VALUE) && !readOne()) {
          return;
        }
      }
    } catch (ProtocolViolation e) {
      violated(e);
    } catch (IOException e) {
      // Closing the socket from the control loop (worker stopping) lands here too; the pool ignores
      // reports about workers it is already stopping.
      listener.lost("data connection failed: " + e);
    } catch (InterruptedException e) {
      // Nobody interrupts a data thread; if something does, the worker can no longer be read.
      listener.lost("its data thread was interrupted");
    }
  }

  @Override
  public boolean await(long nanos) {
    return input.awaitReadable(nanos);
  }

  @Override
  public boolean readOne() {
    WorkerSlot ready = slot;
    try {
      Frame frame = reader.read();
      if (frame == null) {
        listener.lost("closed its data connection");
      } else if (frame.kind() == FrameKind.RESULT || frame.kind() == FrameKind.ERROR) {
        dispatcher.onReply(ready, frame);
        return true;
      } else if (frame.kind() == FrameKind.CHUNK) {
        if (dispatcher.streams().arrived(ready, frame)) {
          return true;
        }
      } else if (frame.kind() == FrameKind.HOST_CALL) {
        if (dispatcher.hostCalls().arrived(ready, frame)) {
          return true;
        }
      } else {
        frame.release();
        listener.broken("sent a " + frame.kind() + " frame on the data plane after the handshake", ErrorKind.WORKER_CRASHED,
            WorkerExit.PoolReason.PROTOCOL);
      }
    } catch (ProtocolViolation e) {
      violated(e);
    } catch (ClosedByInterruptException e) {
      listener.lost("its data connection was closed by an interrupt of the thread reading it");
    } catch (IOException e) {
      listener.lost("data connection failed: " + e);
    } catch (RuntimeException | OutOfMemoryError e) {
      // The stream is now somewhere inside a frame, so nobody can read the worker again; the thread
      // reading it, possibly a caller, carries on.
      listener.broken("could not take in a frame from its data connection: " + e, ErrorKind.WORKER_CRASHED,
          WorkerExit.PoolReason.PROTOCOL);
    }
    dispatcher.readingEnded(ready);
    return false;
  }

  private void violated(ProtocolViolation e) {
    listener.broken("violated the protocol on the data plane: " + e.getMessage(), ErrorKind.WORKER_CRASHED,
        WorkerExit.PoolReason.PROTOCOL);
  }

  @Override
  public void wake() {
    ChannelInput in = input;
    if (in != null) {
      in.wake();
    }
  }

  /**
   * The worker is being stopped or is gone: whoever waits on its socket wakes, its data thread ends,
   * and the sockets close; the socket file is removed too.
   */
  public void close() {
    stopped = true;
    ChannelInput in = input;
    if (in != null) {
      try {
        in.close();
      } catch (IOException e) {
        LOG.debug("pool '{}': closing the selector of worker {}: {}", pool, workerId, e.toString());
      }
    }
    WorkerSlot ready = slot;
    if (ready != null) {
      dispatcher.readingEnded(ready);
    }
    closeQuietly(endpoint.server());
    SocketChannel accepted = channel;
    if (accepted != null) {
      closeQuietly(accepted);
    }
    try {
      Files.deleteIfExists(endpoint.socketPath());
    } catch (IOException ignored) {
      // The run directory is deleted at close anyway.
    }
  }

  /** Best effort: a kernel that refuses the size leaves the default, which is slower but correct. */
  private void askForSendBuffer(SocketChannel accepted) {
    try {
      accepted.setOption(StandardSocketOptions.SO_SNDBUF, SEND_BUFFER);
    } catch (IOException | UnsupportedOperationException e) {
      LOG.debug("pool '{}': worker {} keeps the default send buffer on its data socket: {}", pool, workerId, e.toString());
    }
  }

  private WorkerSlot handshake(FrameReader in, FrameWriter writer) throws IOException {
    Handshake.Outcome outcome = Handshake.run(in, writer, endpoint.token(), pool, workerId);
    if (outcome instanceof Handshake.Refused refused) {
      listener.broken(refused.reason(), refused.versionMismatch() ? ErrorKind.INVALID_REQUEST : ErrorKind.WORKER_CRASHED,
          WorkerExit.PoolReason.PROTOCOL);
      return null;
    }
    Hello hello = ((Handshake.Accepted) outcome).hello();
    WorkerSlot ready = new WorkerSlot(workerId, hello.pid() > 0 ? hello.pid() : knownPid.getAsLong(), writer, control, this,
        settings.recycling(), hello.concurrentTools());
    slot = ready; // before the pool can give the worker a call whose caller reads the reply
    listener.ready(ready, hello);
    return ready;
  }

  private static void closeQuietly(Closeable c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // Closing is best effort.
    }
  }
}
