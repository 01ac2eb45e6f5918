package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NoLeftoverProcesses.class)
class EchoServerTest {
  @Test
  void echoesFramesAndIsGoneWithItsDirectoryAfterClose() throws IOException {
    EchoServer server = EchoServer.start(TestPython.get().executable());
    Path socket = server.socket();
    try (server; EchoClient client = new EchoClient(socket, "{\"x\":1}".getBytes(StandardCharsets.UTF_8))) {
      for (int i = 0; i < 3; i++) {
        client.roundTrip();
      }
    }

    assertThat(ProcessHandle.of(server.pid()).filter(ProcessHandle::isAlive)).isEmpty();
    assertThat(socket.getParent()).doesNotExist();
  }

  @Test
  void stopsAServerStillWaitingForItsClient() throws IOException {
    EchoServer server = EchoServer.start(TestPython.get().executable());
    Path directory = server.socket().getParent();
    assertThat(Files.exists(server.socket())).isTrue();

    server.close();

    assertThat(ProcessHandle.of(server.pid()).filter(ProcessHandle::isAlive)).isEmpty();
    assertThat(directory).doesNotExist();
  }

  @Test
  void reportsAnInterpreterThatCannotRunTheServer() {
    assertThatThrownBy(() -> EchoServer.start("false"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("echo_server.py did not start");
  }
}
