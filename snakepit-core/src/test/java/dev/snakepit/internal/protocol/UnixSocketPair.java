package dev.snakepit.internal.protocol;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/** Both ends of a connected Unix socket, as a pool and its worker hold them; closing removes the socket file. */
record UnixSocketPair(Path directory, SocketChannel jvmSide, SocketChannel workerSide) implements AutoCloseable {

  static UnixSocketPair connect() throws IOException {
    Path directory = Files.createTempDirectory("snakepit-protocol-test");
    UnixDomainSocketAddress address = UnixDomainSocketAddress.of(directory.resolve("w1.sock"));
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(address);
      SocketChannel workerSide = SocketChannel.open(address);
      return new UnixSocketPair(directory, server.accept(), workerSide);
    }
  }

  @Override
  public void close() throws IOException {
    jvmSide.close();
    workerSide.close();
    Files.deleteIfExists(directory.resolve("w1.sock"));
    Files.delete(directory);
  }
}
