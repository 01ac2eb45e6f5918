package dev.snakepit.server.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The server's JSON: maps, lists and plain values only, so no class of ours is read by reflection. */
public final class Json {
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  private Json() {}

  public static String write(Object tree) throws JsonProcessingException {
    return MAPPER.writeValueAsString(tree);
  }

  /** Indented, for people: what the command line prints. */
  public static String pretty(Object tree) throws JsonProcessingException {
    return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(tree);
  }

  static byte[] bytes(Object tree) throws JsonProcessingException {
    return MAPPER.writeValueAsBytes(tree);
  }

  /** Parses JSON text into maps, lists, strings, numbers, booleans and nulls. */
  public static Object read(byte[] json) throws java.io.IOException {
    return MAPPER.readValue(json, Object.class);
  }
}
