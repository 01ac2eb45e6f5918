package dev.snakepit.bench;

import dev.snakepit.cli.PythonServer;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC baseline: a grpc-java client calling a grpcio server ({@code grpc_noop_server.py}) on the
 * loopback, one unary method whose request and response are raw bytes, so that neither side spends
 * time on protobuf. This is the transport of the original design, at its cheapest.
 */
final class GrpcNoop implements AutoCloseable {
  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };
  private static final MethodDescriptor<byte[], byte[]> CALL = MethodDescriptor.<byte[], byte[]>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName(MethodDescriptor.generateFullMethodName("snakepit.bench.Noop", "Call"))
      .setRequestMarshaller(BYTES)
      .setResponseMarshaller(BYTES)
      .build();

  private final PythonServer server;
  private final ManagedChannel channel;
  private final byte[] payload;

  private GrpcNoop(PythonServer server, ManagedChannel channel, byte[] payload) {
    this.server = server;
    this.channel = channel;
    this.payload = payload;
  }

  /** Starts the server with {@code python} (which must have grpcio) and connects to it. */
  static GrpcNoop start(String python, byte[] payload) throws IOException {
    PythonServer server = PythonServer.start(python, GrpcNoop.class, "grpc_noop_server.py", dir -> List.of());
    try {
      int port = Integer.parseInt(server.ready());
      ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
      return new GrpcNoop(server, channel, payload);
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
  }

  long pid() {
    return server.pid();
  }

  /** One unary call, waiting for its answer; checks that the answer is the payload. */
  void call() throws IOException {
    byte[] reply = ClientCalls.blockingUnaryCall(channel, CALL, CallOptions.DEFAULT, payload);
    if (!Arrays.equals(reply, payload)) {
      throw new IOException("the gRPC server answered different bytes than it was sent");
    }
  }

  @Override
  public void close() throws InterruptedException {
    try {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    } finally {
      server.close();
    }
  }
}
