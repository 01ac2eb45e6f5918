package dev.snakepit.internal.supervisor;

import dev.snakepit.ErrorKind;
import dev.snakepit.PoolConfig;
import dev.snakepit.WorkerExit;
import dev.snakepit.internal.dispatch.Dispatcher;
import dev.snakepit.internal.dispatch.WorkerSlot;
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
import java.io.BufferedInputStream;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker's data plane, run on the worker's data thread: accepts the worker's connection, checks its
 * HELLO, answers WELCOME, then reads replies until the connection ends. Nothing else reads the socket.
 */
final class DataConnection implements Runnable {
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
      FrameReader reader = new FrameReader(new BufferedInputStream(Channels.newInputStream(channel), READ_BUFFER), maxFrameBytes);
      FrameWriter writer = new FrameWriter(channel, maxFrameBytes);
      WorkerSlot slot = handshake(reader, writer);
      if (slot == null) {
        return;
      }
      for (Frame frame; (frame = reader.read()) != null; ) {
        if (frame.kind() == FrameKind.RESULT || frame.kind() == FrameKind.ERROR) {
          dispatcher.onReply(slot, frame);
        } else {
          supervisor.broken(worker, "sent a " + frame.kind() + " frame on the data plane after the handshake", ErrorKind.WORKER_CRASHED, WorkerExit.PoolReason.PROTOCOL);
          return;
        }
      }
      supervisor.connectionLost(worker, "closed its data connection");
    } catch (ProtocolViolation e) {
      supervisor.broken(worker, "violated the protocol on the data plane: " + e.getMessage(), ErrorKind.WORKER_CRASHED, WorkerExit.PoolReason.PROTOCOL);
    } catch (IOException e) {
      // Closing the socket from the control loop (worker stopping) lands here too; the supervisor
      // ignores reports about workers it is already stopping.
      supervisor.connectionLost(worker, "data connection failed: " + e);
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
    WorkerSlot slot = new WorkerSlot(worker.id, writer, worker.control, worker.limits.calls(),
        config.recycleAboveErrorRate(), config.recycleErrorWindow());
    supervisor.ready(worker, slot, hello);
    return slot;
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
