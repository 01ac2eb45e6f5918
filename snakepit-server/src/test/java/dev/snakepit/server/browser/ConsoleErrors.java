package dev.snakepit.server.browser;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A page's errors as readable lines, from the three DevTools events that report them:
 *
 * <ul>
 *   <li>{@code Runtime.consoleAPICalled} of type {@code error} or {@code assert}: "console.error:
 *       the arguments (where)";
 *   <li>{@code Runtime.exceptionThrown}: "Uncaught Error: message (where)";
 *   <li>{@code Log.entryAdded} of level {@code error}, which is how the browser itself complains,
 *       about a resource that failed to load for instance: "network: the text (url)".
 * </ul>
 *
 * <p>"Where" is the script's url, line and column, counted from 1.
 */
final class ConsoleErrors {
  /** Appended to by the socket's thread, read by the test's. */
  private final List<String> errors = new CopyOnWriteArrayList<>();

  /** Notes {@code event} if it reports an error; ignores every other event. */
  void note(CdpConnection.Event event) {
    JsonNode params = event.params();
    switch (event.method()) {
      case "Runtime.consoleAPICalled" -> {
        String type = params.path("type").asText();
        if (type.equals("error") || type.equals("assert")) {
          List<String> args = new ArrayList<>();
          params.path("args").forEach(arg -> args.add(text(arg)));
          JsonNode frame = params.path("stackTrace").path("callFrames").path(0);
          errors.add("console." + type + ": " + String.join(" ", args) + where(frame));
        }
      }
      case "Runtime.exceptionThrown" -> errors.add(describe(params.path("exceptionDetails")));
      case "Log.entryAdded" -> {
        JsonNode entry = params.path("entry");
        if (entry.path("level").asText().equals("error")) {
          String url = entry.path("url").asText();
          errors.add(entry.path("source").asText() + ": " + entry.path("text").asText() + (url.isEmpty() ? "" : " (" + url + ")"));
        }
      }
      default -> {
        // Not an error report.
      }
    }
  }

  List<String> snapshot() {
    return List.copyOf(errors);
  }

  /** An exception as one line: "Uncaught TypeError: x is null (url:line:column)". */
  static String describe(JsonNode details) {
    JsonNode exception = details.path("exception");
    String text = details.path("text").asText("Uncaught");
    String thrown;
    if (exception.has("description")) {
      thrown = exception.get("description").asText().lines().findFirst().orElse(""); // the stack follows
    } else if (!exception.isMissingNode()) {
      thrown = text(exception); // a thrown value that is not an Error: throw 'text'
    } else {
      thrown = "";
    }
    String message = thrown.isEmpty() || text.contains(thrown) ? text : text + " " + thrown;
    return message + where(details);
  }

  /** A console argument or thrown value as the console would print it. */
  private static String text(JsonNode remote) {
    JsonNode value = remote.get("value");
    if (value != null) {
      return value.isTextual() ? value.asText() : value.toString();
    }
    if (remote.has("unserializableValue")) {
      return remote.get("unserializableValue").asText();
    }
    if (remote.has("description")) {
      return remote.get("description").asText();
    }
    return remote.path("type").asText(); // undefined
  }

  /** " (url:line:column)" from a call frame or exception details, whose numbers count from 0; "" without a url. */
  private static String where(JsonNode node) {
    String url = node.path("url").asText();
    if (url.isEmpty()) {
      return "";
    }
    return " (" + url + ":" + (node.path("lineNumber").asInt() + 1) + ":" + (node.path("columnNumber").asInt() + 1) + ")";
  }
}
