package dev.snakepit.server.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.snakepit.server.ConfigException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * A configuration file as flat keys, the way Spring Boot sees one: {@code snakepit.pools.main.size = 4},
 * lists as {@code python-path[0]}. YAML ({@code .yml}, {@code .yaml}) and properties files are read; the
 * keys keep the file's order, so pools start and are listed in the order they are written.
 */
public final class FlatConfig {
  private FlatConfig() {}

  public static Map<String, String> read(Path file) {
    String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (!Files.isRegularFile(file)) {
      throw new ConfigException(file.toString(), "no such file");
    }
    try {
      if (name.endsWith(".yml") || name.endsWith(".yaml")) {
        return yaml(Files.readString(file, StandardCharsets.UTF_8), file.toString());
      }
      if (name.endsWith(".properties")) {
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
          return properties(in);
        }
      }
    } catch (IOException e) {
      throw new ConfigException(file.toString(), "cannot be read: " + e.getMessage(), e);
    }
    throw new ConfigException(file.toString(), "is neither YAML (.yml, .yaml) nor properties (.properties)");
  }

  /** The keys of a YAML document, which must be a mapping; {@code source} names it in errors. */
  public static Map<String, String> yaml(String text, String source) {
    Map<String, String> out = new LinkedHashMap<>();
    try (JsonParser parser = YAMLFactory.builder().build().createParser(text)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        return out;
      }
      if (first != JsonToken.START_OBJECT) {
        throw new ConfigException(source, "must be a YAML mapping (key: value), not " + first.asString());
      }
      object(parser, "", out);
      if (parser.nextToken() != null) {
        throw new ConfigException(source, "holds more than one YAML document; put everything in one");
      }
    } catch (IOException e) {
      throw new ConfigException(source, "is not valid YAML: " + e.getMessage(), e);
    }
    return out;
  }

  public static Map<String, String> properties(Reader in) throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    // Properties keeps no order; this one records the order of its puts, which is the file's.
    Properties ordered = new Properties() {
      private static final long serialVersionUID = 1L;

      @Override
      public synchronized Object put(Object key, Object value) {
        out.put(String.valueOf(key).strip(), String.valueOf(value).strip());
        return super.put(key, value);
      }
    };
    ordered.load(in);
    return Collections.unmodifiableMap(out);
  }

  private static void object(JsonParser parser, String prefix, Map<String, String> out) throws IOException {
    JsonToken token;
    while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
      String key = prefix.isEmpty() ? parser.currentName() : prefix + "." + parser.currentName();
      value(parser, parser.nextToken(), key, out);
    }
    if (token != JsonToken.END_OBJECT) {
      throw new IOException("unexpected " + token + " in a mapping");
    }
  }

  private static void value(JsonParser parser, JsonToken token, String key, Map<String, String> out) throws IOException {
    switch (token) {
      case START_OBJECT -> object(parser, key, out);
      case START_ARRAY -> {
        int index = 0;
        JsonToken item;
        while ((item = parser.nextToken()) != JsonToken.END_ARRAY) {
          value(parser, item, key + "[" + index++ + "]", out);
        }
      }
      case VALUE_NULL -> { } // "key:" with nothing after it: left unset, as Spring does
      default -> {
        if (out.put(key, parser.getText()) != null) {
          throw new ConfigException(key, "is given twice");
        }
      }
    }
  }
}
