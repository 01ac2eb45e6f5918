package dev.snakepit.internal.supervisor;

import dev.snakepit.ErrorKind;
import dev.snakepit.PoolConfig;
import dev.snakepit.WorkerExit;
import dev.snakepit.internal.dispatch.Dispatcher;
import dev.snakepit.internal.dispatch.WorkerSlot;
import dev.snakepit.internal.protocol.ChannelInput;
import dev.snakepit.internal.protocol.EncodedBody;
import dev.snakepit.internal.protocol.Frame;
import dev.snakepit.internal.protocol.FrameKind;
import dev.snakepit.internal.protocol.FrameReader;
import dev.snakepit.internal.protocol.FrameTooLargeException;
import dev.snakepit.internal.protocol.FrameWriter;
import dev.snakepit.internal.protocol.ProtocolViolation;
import dev.snakepit.internal.protocol.ValueDecoder;
import dev.snakepit.internal.protocol.ValueDecodingException;
import dev.snakepit.internal.protocol.ValueEncoder;
import dev.snakepit.internal.protocol.ValueEncodingException;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SocketChannel;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker's data plane: accepts the worker's connection, checks its HELLO and answers WELCOME on the
 * worker's data thread, then reads replies on whichever thread holds the worker's reading role (see
 * {@link Dispatcher}): a synchronous caller reading its own reply, or the data thread, which otherwise
 * waits for its turn. The socket is in non-blocking mode, and read through a {@link ChannelInput}, so
 * that an interrupted caller closes nothing.
 */
final class DataConnection implements Runnable, WorkerSlot.Replies {
  private static final Logger LOG = LoggerFactory.getLogger(DataConnection.class);
  private static final ValueEncoder ENCODER = new ValueEncoder();
  private static final ValueDecoder DECODER = new ValueDecoder();
  private static final int READ_BUFFER = 64 * 1024;
  /**
   * The send buffer asked for: with the default 208 KiB a large payload wakes the worker's reader
   * hundreds of times. Linux caps it at net.core.wmem_max.
   */
  private static final int SEND_BUFFER = 4 * 1024 * 1024;

  private final Worker worker;
  private final Supervisor supervisor;
  private final Dispatcher dispatcher;
  private final PoolConfig config;
  private final String pool;
  private final int maxFrameBytes;

  /** Set by {@link #stop}; with {@link #slot}, each side checks the other's after writing its own. */
  private volatile boolean stopped;
  /** Set once the handshake is done. */
  private volatile WorkerSlot slot;
  /** Set once the worker has connected; read only by the thread holding the reading role. */
  private volatile ChannelInput input;
  private FrameReader reader;

  DataConnection(Worker worker, Supervisor supervisor, Dispatcher dispatcher, PoolConfig config) {
    this.worker = worker;
    this.supervisor = supervisor;
    this.dispatcher = dispatcher;
    this.config = config;
    this.pool = config.name();
    this.maxFrameBytes = config.maxFrameBytes();
  }

  @Override
  public void run() {
    try {
      SocketChannel channel = worker.server.accept();
      worker.channel = channel;
      askForSendBuffer(channel);
      // One connection per worker: stop listening and remove the socket file at once.
      worker.server.close();
      java.nio.file.Files.deleteIfExists(worker.socketPath);
      ChannelInput in = new ChannelInput(channel, READ_BUFFER);
      input = in;
      if (stopped) {
        in.close(); // stop() ran before the input existed
        return;
      }
      reader = new FrameReader(in, maxFrameBytes);
      WorkerSlot ready = handshake(reader, new FrameWriter(channel, maxFrameBytes));
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
      // Closing the socket from the control loop (worker stopping) lands here too; the supervisor
      // ignores reports about workers it is already stopping.
      supervisor.connectionLost(worker, "data connection failed: " + e);
    } catch (InterruptedException e) {
      // Nobody interrupts a data thread; if something does, the worker can no longer be read.
      supervisor.connectionLost(worker, "its data thread was interrupted");
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
        supervisor.connectionLost(worker, "closed its data connection");
      } else if (frame.kind() == FrameKind.RESULT || frame.kind() == FrameKind.ERROR) {
        dispatcher.onReply(ready, frame);
        return true;
      } else {
        supervisor.broken(worker, "sent a " + frame.kind() + " frame on the data plane after the handshake", ErrorKind.WORKER_CRASHED, WorkerExit.PoolReason.PROTOCOL);
      }
    } catch (ProtocolViolation e) {
      violated(e);
    } catch (ClosedByInterruptException e) {
      supervisor.connectionLost(worker, "its data connection was closed by an interrupt of the thread reading it");
    } catch (IOException e) {
      supervisor.connectionLost(worker, "data connection failed: " + e);
    } catch (RuntimeException | OutOfMemoryError e) {
      // The stream is now somewhere inside a frame, so nobody can read the worker again; the thread
      // reading it, possibly a caller, carries on.
      supervisor.broken(worker, "could not take in a frame from its data connection: " + e, ErrorKind.WORKER_CRASHED,
          WorkerExit.PoolReason.PROTOCOL);
    }
    dispatcher.readingEnded(ready);
    return false;
  }

  private void violated(ProtocolViolation e) {
    supervisor.broken(worker, "violated the protocol on the data plane: " + e.getMessage(), ErrorKind.WORKER_CRASHED,
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
   * The worker is being stopped or is gone: whoever waits on its socket wakes, and its data thread
   * ends. The socket itself is the worker's to close.
   */
  void stop() {
    stopped = true;
    ChannelInput in = input;
    if (in != null) {
      try {
        in.close();
      } catch (IOException e) {
        LOG.debug("pool '{}': closing the selector of worker {}: {}", pool, worker.id, e.toString());
      }
    }
    WorkerSlot ready = slot;
    if (ready != null) {
      dispatcher.readingEnded(ready);
    }
  }

  /** Best effort: a kernel that refuses the size leaves the default, which is slower but correct. */
  private void askForSendBuffer(SocketChannel channel) {
    try {
      channel.setOption(StandardSocketOptions.SO_SNDBUF, SEND_BUFFER);
    } catch (IOException | UnsupportedOperationException e) {
      LOG.debug("pool '{}': worker {} keeps the default send buffer on its data socket: {}", pool, worker.id, e.toString());
    }
  }

  private WorkerSlot handshake(FrameReader reader, FrameWriter writer) throws IOException {
    Frame first = reader.read();
    if (first == null) {
      supervisor.broken(worker, "closed its data connection before the handshake", ErrorKind.WORKER_CRASHED, WorkerExit.PoolReason.PROTOCOL);
      return null;
    }
    if (first.kind() != FrameKind.HELLO) {
      supervisor.broken(worker, "sent " + first.kind() + " instead of HELLO", ErrorKind.WORKER_CRASHED, WorkerExit.PoolReason.PROTOCOL);
      return null;
    }
    Map<?, ?> body;
    try {
      body = DECODER.decode(first) instanceof Map<?, ?> m ? m : Map.of();
    } catch (ValueDecodingException e) {
      supervisor.broken(worker, "sent an unreadable HELLO: " + e.getMessage(), ErrorKind.WORKER_CRASHED, WorkerExit.PoolReason.PROTOCOL);
      return null;
    }
    if (!Hello.tokenMatches(body, worker.token)) {
      supervisor.broken(worker, "connected with a wrong token", ErrorKind.WORKER_CRASHED, WorkerExit.PoolReason.PROTOCOL);
      return null;
    }
    Hello hello = Hello.parse(body);
    Map<String, Object> welcome = new LinkedHashMap<>();
    if (!hello.speaks(Hello.PROTOCOL)) {
      welcome.put("protocol", null);
      String error = "the worker speaks protocol versions " + hello.protocols() + ", this JVM speaks " + Hello.PROTOCOL;
      welcome.put("error", error);
      send(writer, welcome);
      supervisor.broken(worker, "protocol mismatch: " + error, ErrorKind.INVALID_REQUEST, WorkerExit.PoolReason.PROTOCOL);
      return null;
    }
    welcome.put("protocol", Hello.PROTOCOL);
    welcome.put("pool", pool);
    welcome.put("worker_id", worker.id);
    send(writer, welcome);
    WorkerSlot ready = new WorkerSlot(worker.id, hello.pid() > 0 ? hello.pid() : worker.pid(), writer, worker.control, this, worker.limits.calls(),
        config.recycleAboveErrorRate(), config.recycleErrorWindow());
    slot = ready; // before the pool can give the worker a call whose caller reads the reply
    supervisor.ready(worker, ready, hello);
    return ready;
  }

  private static void send(FrameWriter writer, Map<String, Object> body) throws IOException {
    try {
      EncodedBody encoded = ENCODER.encode(body);
      writer.write(FrameKind.WELCOME, 0, encoded);
    } catch (ValueEncodingException | FrameTooLargeException e) {
      throw new IllegalStateException("a WELCOME body is small and plain; encoding it cannot fail", e);
    }
  }
}
