package dev.snakepit.server.browser;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One WebSocket to the browser, speaking the Chrome DevTools Protocol.
 *
 * <p>Wire format: every message is one JSON text message, which the browser may send in several
 * fragments. A request is {@code {id, method, params, sessionId?}}; its answer carries the same
 * {@code id} and either {@code result} or {@code error: {code, message}}. A message without an
 * {@code id} is an event, {@code {method, params, sessionId?}}. Pages are attached with flattened
 * sessions, so they all share this socket and are told apart by {@code sessionId}; browser-level
 * calls have none.
 *
 * <p>Threads: the socket's listener runs on the HTTP client's threads, one callback at a time. It
 * completes the pending answers and calls the event listeners there, so a listener must be quick and
 * must never call back into this connection and wait: the answer it would wait for could only be
 * delivered by the thread it is blocking.
 */
final class CdpConnection implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A DevTools event: which page it is about ({@code null} for the browser), its name and params. */
  record Event(String sessionId, String method, JsonNode params) {}

  private record Pending(String method, CompletableFuture<JsonNode> answer) {}

  private final Duration timeout;
  private final AtomicLong ids = new AtomicLong();
  private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
  private final List<Consumer<Event>> listeners = new CopyOnWriteArrayList<>();
  /** Why the socket is unusable, or null while it is open; written once, under this object's lock, by whichever side ends it first. */
  private volatile String closedReason;
  /** Guards sending: the JDK's WebSocket allows one outstanding send at a time. */
  private final Object sendLock = new Object();
  private final HttpClient client;
  private final WebSocket socket;

  /** Connects to {@code url}, the {@code ws://} address the browser announced. */
  CdpConnection(URI url, Duration timeout) {
    this.timeout = timeout;
    // The browser is on the loopback interface: a proxy configured for the JVM must not be asked.
    this.client = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).connectTimeout(timeout).build();
    try {
      this.socket = await(client.newWebSocketBuilder().connectTimeout(timeout).buildAsync(url, new Receiver()),
          timeout, "connecting to " + url);
    } catch (RuntimeException e) {
      endClient();
      throw e;
    }
  }

  /** Calls a browser-level method and waits for its result. */
  JsonNode call(String method, Map<String, ?> params) {
    return call(null, method, params, timeout);
  }

  /**
   * Calls {@code method} in the page attached as {@code sessionId} (null: the browser) and waits up
   * to {@code wait} for its result; an error answer throws with the browser's message.
   */
  JsonNode call(String sessionId, String method, Map<String, ?> params, Duration wait) {
    long id = ids.incrementAndGet();
    ObjectNode message = JSON.createObjectNode().put("id", id).put("method", method);
    message.set("params", JSON.valueToTree(params));
    if (sessionId != null) {
      message.put("sessionId", sessionId);
    }
    CompletableFuture<JsonNode> answer = new CompletableFuture<>();
    pending.put(id, new Pending(method, answer));
    try {
      String reason = closedReason;
      if (reason != null) {
        throw new BrowserException(method + " not sent: the DevTools connection " + reason);
      }
      synchronized (sendLock) {
        await(socket.sendText(message.toString(), true), timeout, "sending " + method);
      }
      return await(answer, wait, method);
    } finally {
      pending.remove(id);
    }
  }

  void addListener(Consumer<Event> listener) {
    listeners.add(listener);
  }

  void removeListener(Consumer<Event> listener) {
    listeners.remove(listener);
  }

  boolean isOpen() {
    return closedReason == null;
  }

  /** Drops the socket and ends the HTTP client's threads; unanswered calls fail at once. */
  @Override
  public void close() {
    closed("was closed");
    socket.abort();
    endClient();
  }

  private void endClient() {
    client.shutdownNow();
    boolean interrupted = Thread.interrupted(); // ending the threads matters more than a hurried caller
    try {
      if (!client.awaitTermination(timeout)) {
        throw new BrowserException("the DevTools HTTP client's threads did not end within " + timeout.toMillis() + " ms");
      }
    } catch (InterruptedException e) {
      interrupted = true;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private synchronized void closed(String reason) {
    if (closedReason == null) {
      closedReason = reason;
    }
    pending.values().forEach(p -> p.answer.completeExceptionally(
        new BrowserException(p.method + " unanswered: the DevTools connection " + closedReason)));
  }

  private void dispatch(String text) throws JsonProcessingException {
    JsonNode message = JSON.readTree(text);
    JsonNode id = message.get("id");
    if (id != null) {
      Pending waiting = pending.get(id.asLong());
      if (waiting == null) {
        return; // its caller gave up waiting
      }
      JsonNode error = message.get("error");
      if (error != null) {
        waiting.answer.completeExceptionally(new BrowserException(waiting.method + " failed: "
            + error.path("message").asText() + " (" + error.path("code").asInt() + ")"
            + (error.has("data") ? ": " + error.get("data").asText() : "")));
      } else {
        waiting.answer.complete(message.path("result"));
      }
      return;
    }
    Event event = new Event(message.path("sessionId").textValue(), message.path("method").asText(), message.path("params"));
    for (Consumer<Event> listener : listeners) {
      listener.accept(event);
    }
  }

  private static <T> T await(CompletableFuture<T> future, Duration wait, String what) {
    try {
      return future.get(wait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new BrowserException(what + ": no answer from the browser within " + wait.toMillis() + " ms");
    } catch (ExecutionException e) {
      // A new exception, so that the stack trace shows the caller's line and not the socket's thread.
      throw new BrowserException(e.getCause() instanceof BrowserException b ? b.getMessage() : what + " failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrowserException(what + ": interrupted while waiting for the browser", e);
    }
  }

  /** Reassembles fragmented messages; the JDK calls it one callback at a time, requesting one message per callback. */
  private final class Receiver implements WebSocket.Listener {
    /** The fragments of the message being received; touched only by the callbacks, which never overlap. */
    private final StringBuilder message = new StringBuilder();

    @Override
    public void onOpen(WebSocket webSocket) {
      webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      message.append(data);
      if (last) {
        String text = message.toString();
        message.setLength(0);
        try {
          dispatch(text);
        } catch (JsonProcessingException | RuntimeException e) {
          // Fail loudly: a message lost here would leave its caller waiting until its timeout.
          closed("could not handle a message (" + e + "): " + abbreviate(text));
          webSocket.abort();
          return null;
        }
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closed("was closed by the browser (" + statusCode + (reason.isEmpty() ? "" : " " + reason) + ")");
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed("failed: " + error);
    }

    private static String abbreviate(String text) {
      return text.length() <= 300 ? text : text.substring(0, 300) + "...";
    }
  }
}
