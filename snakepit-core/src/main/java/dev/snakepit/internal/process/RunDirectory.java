package dev.snakepit.internal.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A pool's private directory for its workers' Unix sockets, mode 0700, so no other user can connect
 * to a socket (the per-worker token also stops the same user's other processes).
 *
 * <p>Unix socket paths are limited to about 108 bytes, so the directory is made in
 * {@code $XDG_RUNTIME_DIR} or {@code java.io.tmpdir} only when the result stays short, else in
 * {@code /tmp}.
 */
public final class RunDirectory implements AutoCloseable {
  /** The start of every run directory's name, followed by the JVM's pid and a dash. */
  static final String PREFIX = "snakepit-";
  /** Room left for a socket's file name within the kernel's limit. */
  private static final int MAX_DIR_LENGTH = 90;

  private final Path path;

  private RunDirectory(Path path) {
    this.path = path;
  }

  /** Creates a fresh directory for the pool named {@code pool}. */
  public static RunDirectory create(String pool) {
    String prefix = PREFIX + ProcessHandle.current().pid() + "-";
    for (String base : new String[] {System.getenv("XDG_RUNTIME_DIR"), System.getProperty("java.io.tmpdir"), "/tmp"}) {
      if (base == null || base.isBlank() || !Files.isDirectory(Path.of(base))) {
        continue;
      }
      Path parent = Path.of(base).toAbsolutePath();
      if (parent.toString().length() + prefix.length() + 24 > MAX_DIR_LENGTH) {
        continue;
      }
      try {
        Path dir = Files.createTempDirectory(parent, prefix,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        RunRegistry.get().addDirectory(dir);
        return new RunDirectory(dir);
      } catch (IOException | UnsupportedOperationException e) {
        // Try the next base.
      }
    }
    throw new UncheckedIOException(new IOException(
        "cannot create a private socket directory for pool '" + pool + "' in $XDG_RUNTIME_DIR, java.io.tmpdir or /tmp"));
  }

  /** The directory. */
  public Path path() {
    return path;
  }

  /** The socket path for worker {@code workerId}. */
  public Path socket(String workerId) {
    return path.resolve(workerId + ".sock");
  }

  /** Deletes the directory and whatever is left in it. */
  @Override
  public void close() {
    delete(path);
    RunRegistry.get().removeDirectory(path);
  }

  /** Deletes {@code dir} and what is in it, if it is there. */
  static void delete(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // Already gone.
    }
  }
}
