package dev.snakepit.internal.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.snakepit.internal.protocol.ValueDecodingException.Reason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The shared-memory files one frame names (docs/protocol.md, section 3.5), claimed when the frame was
 * read: each opened, its size taken and its name unlinked, so that the directory holds nothing of the
 * frame any more. Decoding {@linkplain #take takes} each tag's file: an array or a table maps it
 * read-only ({@link Segment#map}), a plain bytes value reads it into a {@code byte[]}. Whatever is not
 * taken is closed by {@link #release}, which decoding calls at its end and whoever drops a frame
 * undecoded must call.
 *
 * <p>Passed from the reading thread to the decoding one with the frame; its methods are synchronized
 * so that a frame may also be released from a third.
 */
public final class SharedSegments {
  /** A frame that names no file, or came through no pool's shared memory. */
  static final SharedSegments NONE = new SharedSegments(null, null);

  private static final byte[] MARK = ('"' + JsonDialect.SHM_TAG + '"').getBytes(StandardCharsets.US_ASCII);
  /** A JSON escape: a key may spell {@code $shm} with escapes, which the search for {@link #MARK} misses. */
  private static final byte[] ESCAPE = "\\u".getBytes(StandardCharsets.US_ASCII);

  private final Path directory;
  private final String prefix;
  /** The files claimed, by name. Guarded by this. */
  private final Map<String, Segment> claimed = new LinkedHashMap<>(2);
  /** Guarded by this. */
  private boolean released;

  private SharedSegments(Path directory, String prefix) {
    this.directory = directory;
    this.prefix = prefix;
  }

  /** The files a TAGGED body from the peer whose names start with {@code prefix} names, claimed. */
  static SharedSegments claim(byte[] body, Path directory, String prefix) {
    if (!contains(body, MARK)) {
      // Most bodies: no tag. One with escapes may still spell one; its file is then claimed as it is decoded.
      return contains(body, ESCAPE) ? new SharedSegments(directory, prefix) : NONE;
    }
    SharedSegments segments = new SharedSegments(directory, prefix);
    for (String name : tagNames(body)) {
      segments.claimFile(name);
    }
    return segments;
  }

  /**
   * The file a {@code $shm} tag's value describes, checked against the tag.
   *
   * @throws ValueDecodingException ({@code BAD_TAG}) for a malformed tag, a file that is not the
   *     peer's, is missing, or whose size is not the tag's
   */
  synchronized Segment take(Object spec, String path) throws ValueDecodingException {
    if (!(spec instanceof Map<?, ?> fields) || !fields.keySet().equals(Set.of("name", "size"))) {
      throw bad(path, "must hold an object with exactly the members name and size; found "
          + (spec instanceof Map<?, ?> map ? "the members " + map.keySet() : spec == null ? "null" : "a " + kind(spec)));
    }
    if (!(fields.get("name") instanceof String name) || !SharedMemory.NAME.matcher(name).matches()) {
      throw bad(path, "has name " + fields.get("name") + "; a name is 1 to 128 letters, digits, '_' or '-', starting with"
          + " a letter or digit");
    }
    if (!(fields.get("size") instanceof Long size) || size < 0) {
      throw bad(path, "has size " + fields.get("size") + "; a size is a non-negative integer");
    }
    if (size > Integer.MAX_VALUE) {
      throw bad(path, "has size " + size + ", above the 2147483647 bytes a Java buffer holds");
    }
    if (directory == null) {
      throw bad(path, "names the file " + name + ", but this frame came through no pool's shared memory");
    }
    if (!name.startsWith(prefix)) {
      throw bad(path, "names the file " + name + ", which is not one of the sender's (" + prefix + "...)");
    }
    if (released) {
      throw bad(path, "names the file " + name + ", which was closed with its frame before the frame was decoded");
    }
    Segment segment = claimed.get(name);
    if (segment == null) {
      segment = claimFile(name); // a tag the search at read time missed: a key written with escapes
    }
    if (segment == null || segment.taken) {
      throw bad(path, "names the file " + name + (segment == null ? ", which is gone" : ", which an earlier tag took"));
    }
    if (segment.failure != null) {
      throw bad(path, "names the file " + name + ", which " + segment.failure);
    }
    if (segment.size != size) {
      throw bad(path, "says the file " + name + " has " + size + " bytes; it has " + segment.size);
    }
    segment.taken = true;
    return segment;
  }

  /** Whether a taken file was left unmapped: a plain bytes value, to be read ({@link #readPlainBytes}). */
  synchronized boolean hasUnmapped() {
    for (Segment segment : claimed.values()) {
      if (segment.taken && segment.open()) {
        return true;
      }
    }
    return false;
  }

  /** {@code value} with each {@link Segment} left in it (plain bytes values) replaced by its bytes. */
  Object readPlainBytes(Object value, String path) throws ValueDecodingException {
    try {
      return replace(value);
    } catch (IOException e) {
      throw new ValueDecodingException(Reason.BAD_TAG, path, "a shared-memory file cannot be read: " + e);
    }
  }

  @SuppressWarnings("unchecked")
  private static Object replace(Object value) throws IOException {
    switch (value) {
      case Segment segment -> {
        return segment.read();
      }
      case Map<?, ?> map -> {
        for (Map.Entry<String, Object> entry : ((Map<String, Object>) map).entrySet()) {
          entry.setValue(replace(entry.getValue()));
        }
        return map;
      }
      case List<?> list -> {
        List<Object> items = (List<Object>) list;
        for (int i = 0; i < items.size(); i++) {
          items.set(i, replace(items.get(i)));
        }
        return list;
      }
      case null, default -> {
        return value;
      }
    }
  }

  /** Closes every file not mapped or read yet: the frame is decoded, or dropped. Idempotent. */
  public synchronized void release() {
    released = true;
    for (Segment segment : claimed.values()) {
      segment.close();
    }
  }

  /** How many files the frame named and the reader claimed. */
  public synchronized int count() {
    return claimed.size();
  }

  private Segment claimFile(String name) {
    if (!SharedMemory.NAME.matcher(name).matches() || !name.startsWith(prefix) || claimed.containsKey(name)) {
      return claimed.get(name); // take() reports a bad name; a name claimed twice is taken once
    }
    Path file = directory.resolve(name);
    Segment segment;
    FileChannel channel = null;
    try {
      channel = Uninterrupted.call(() -> FileChannel.open(file, StandardOpenOption.READ));
      FileChannel open = channel;
      long size = Uninterrupted.call(open::size);
      segment = new Segment(name, channel, size, null);
    } catch (NoSuchFileException e) {
      segment = new Segment(name, null, -1, "does not exist in " + directory);
    } catch (IOException e) {
      closeQuietly(channel);
      segment = new Segment(name, null, -1, "cannot be opened in " + directory + ": " + e);
    }
    SharedMemory.deleteQuietly(file);
    claimed.put(name, segment);
    return segment;
  }

  /** Whether the body holds the bytes {@code text}; most bodies are told apart by {@link #MARK} alone. */
  private static boolean contains(byte[] body, byte[] text) {
    outer:
    for (int i = 0, last = body.length - text.length; i <= last; i++) {
      for (int j = 0; j < text.length; j++) {
        if (body[i + j] != text[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  /**
   * The names in the body's {@code $shm} tags: objects whose one member is {@code $shm}, holding an
   * object with a string {@code name}. A malformed body gives what was found before the fault; the
   * decoder reports the fault.
   */
  static List<String> tagNames(byte[] body) {
    List<String> names = new ArrayList<>(1);
    try (JsonParser in = JsonDialect.FACTORY.createParser(body)) {
      for (JsonToken token = in.nextToken(); token != null; token = in.nextToken()) {
        if (token != JsonToken.FIELD_NAME || in.getParsingContext().getCurrentIndex() != 0
            || !JsonDialect.SHM_TAG.equals(in.currentName()) || in.nextToken() != JsonToken.START_OBJECT) {
          continue;
        }
        String name = null;
        while (in.nextToken() == JsonToken.FIELD_NAME) {
          String field = in.currentName();
          if (in.nextToken() == JsonToken.VALUE_STRING && field.equals("name")) {
            name = in.getText();
          } else {
            in.skipChildren();
          }
        }
        // A tag's object ends right after its one member; otherwise this was a plain map's first key.
        if (in.nextToken() == JsonToken.END_OBJECT && name != null) {
          names.add(name);
        }
      }
    } catch (IOException e) {
      // Malformed JSON: the decoder finds it and says where.
    }
    return names;
  }

  private static ValueDecodingException bad(String path, String complaint) {
    return new ValueDecodingException(Reason.BAD_TAG, path, "shared-memory tag at " + path + " " + complaint);
  }

  private static String kind(Object value) {
    return value instanceof List<?> ? "list" : value.getClass().getSimpleName();
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // Nothing to release that could fail.
      }
    }
  }

  /** One claimed file: open and unlinked, or why it could not be claimed. */
  static final class Segment {
    private final String name;
    private final long size;
    private final String failure;
    /** Open until mapped, read or released. Guarded by this. */
    private FileChannel channel;
    /** Guarded by the owning {@link SharedSegments}. */
    private boolean taken;

    private Segment(String name, FileChannel channel, long size, String failure) {
      this.name = name;
      this.channel = channel;
      this.size = size;
      this.failure = failure;
    }

    /** A read-only mapping of the whole file, which outlives the descriptor; closes the descriptor. */
    ByteBuffer map() throws IOException {
      FileChannel open = take();
      try {
        return Uninterrupted.call(() -> open.map(FileChannel.MapMode.READ_ONLY, 0, size));
      } finally {
        open.close();
      }
    }

    /** The file's bytes, copied into a new array; closes the descriptor. */
    byte[] read() throws IOException {
      FileChannel open = take();
      try {
        byte[] bytes = new byte[(int) size];
        Uninterrupted.call(() -> {
          for (int at = 0; at < bytes.length; ) {
            // Slices keep the JDK's temporary direct buffer for the read small.
            int n = open.read(ByteBuffer.wrap(bytes, at, Math.min(1 << 20, bytes.length - at)), at);
            if (n < 0) {
              throw new IOException("shared-memory file " + name + " shrank to " + at + " bytes");
            }
            at += n;
          }
          return bytes;
        });
        return bytes;
      } finally {
        open.close();
      }
    }

    private synchronized FileChannel take() throws IOException {
      FileChannel open = channel;
      if (open == null) {
        throw new IOException("shared-memory file " + name + " was released before it was decoded");
      }
      channel = null;
      return open;
    }

    private synchronized void close() {
      closeQuietly(channel);
      channel = null;
    }

    private synchronized boolean open() {
      return channel != null;
    }

    @Override
    public String toString() {
      return "Segment[" + name + ", " + size + " bytes]";
    }
  }
}
