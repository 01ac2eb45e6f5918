package dev.snakepit.internal.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The JVM's side of the handshake (docs/protocol.md 4.1), against frames a worker would send. */
class HandshakeTest {
  private static final int MAX = 1 << 20;
  private static final String TOKEN = "6b1f0c";

  private final ByteArrayOutputStream toWorker = new ByteArrayOutputStream();

  @Test
  void aWorkerWithTheTokenAndTheVersionIsWelcomed() throws Exception {
    Handshake.Outcome outcome = run(frame(FrameKind.HELLO, Map.of("protocol", List.of(1L), "token", TOKEN, "pid", 4242L,
        "tools", List.of(Map.of("name", "add")))));

    assertThat(outcome).isInstanceOfSatisfying(Handshake.Accepted.class, accepted -> {
      assertThat(accepted.hello().pid()).isEqualTo(4242);
      assertThat(accepted.hello().tools()).extracting(t -> t.name()).containsExactly("add");
    });
    assertThat(answer()).isEqualTo(Map.of("protocol", 1L, "pool", "p", "worker_id", "w1"));
  }

  @Test
  void aWorkerWithAWrongTokenIsToldNothing() throws Exception {
    Handshake.Outcome outcome = run(frame(FrameKind.HELLO, Map.of("protocol", List.of(1L), "token", "guess")));

    assertThat(outcome).isEqualTo(new Handshake.Refused("connected with a wrong token", false));
    assertThat(toWorker.size()).isZero();
  }

  @Test
  void aWorkerOfAnotherVersionIsRefusedWithTheReason() throws Exception {
    Handshake.Outcome outcome = run(frame(FrameKind.HELLO, Map.of("protocol", List.of(2L, 3L), "token", TOKEN)));

    String error = "the worker speaks protocol versions [2, 3], this JVM speaks 1";
    assertThat(outcome).isEqualTo(new Handshake.Refused("protocol mismatch: " + error, true));
    Map<String, Object> refusal = new java.util.HashMap<>();
    refusal.put("protocol", null);
    refusal.put("error", error);
    assertThat(answer()).isEqualTo(refusal);
  }

  @Test
  void anythingButAReadableHelloIsRefused() throws Exception {
    assertThat(run(new byte[0])).isEqualTo(new Handshake.Refused("closed its data connection before the handshake", false));
    assertThat(run(frame(FrameKind.RESULT, Map.of("value", 1L))))
        .isEqualTo(new Handshake.Refused("sent RESULT instead of HELLO", false));
    byte[] garbled = frame(FrameKind.HELLO, Map.of("token", TOKEN));
    garbled[garbled.length - 1] = '!';
    assertThat(run(garbled)).isInstanceOfSatisfying(Handshake.Refused.class,
        refused -> assertThat(refused.reason()).startsWith("sent an unreadable HELLO: "));
    assertThat(toWorker.size()).isZero();
  }

  private Handshake.Outcome run(byte[] fromWorker) throws Exception {
    return Handshake.run(new FrameReader(new ByteArrayInputStream(fromWorker), MAX),
        new FrameWriter(Channels.newChannel(toWorker), MAX), TOKEN, "p", "w1");
  }

  private Object answer() throws Exception {
    Frame welcome = new FrameReader(new ByteArrayInputStream(toWorker.toByteArray()), MAX).read();
    assertThat(welcome.kind()).isEqualTo(FrameKind.WELCOME);
    return new ValueDecoder().decode(welcome);
  }

  private static byte[] frame(FrameKind kind, Map<String, Object> body) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new FrameWriter(Channels.newChannel(out), MAX).write(kind, 0, new ValueEncoder().encode(body));
    return out.toByteArray();
  }
}
