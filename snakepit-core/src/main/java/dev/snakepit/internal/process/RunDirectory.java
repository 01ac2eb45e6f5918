package dev.snakepit.internal.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pool's private directories, each mode 0700: one for its workers' Unix sockets, so no other user
 * can connect to a socket (the per-worker token also stops the same user's other processes), and,
 * with shared memory on, one for the files of large values (docs/protocol.md, section 3.5). Both are
 * recorded in the {@link RunRegistry}, whose sweep removes them after a crash of the JVM; a worker's
 * keeper removes the shared-memory one too when it sees the JVM die.
 *
 * <p>Unix socket paths are limited to about 108 bytes, so the socket directory is made in
 * {@code $XDG_RUNTIME_DIR} or {@code java.io.tmpdir} only when the result stays short, else in
 * {@code /tmp}. The shared-memory directory is {@code <base>/snakepit-<pid>-<pool>-<random>}.
 */
public final class RunDirectory implements AutoCloseable {
  /** The start of every run directory's name, followed by the JVM's pid and a dash. */
  static final String PREFIX = "snakepit-";
  /** Room left for a socket's file name within the kernel's limit. */
  private static final int MAX_DIR_LENGTH = 90;
  private static final Logger LOG = LoggerFactory.getLogger(RunDirectory.class);
  private static final FileAttribute<?> OWNER_ONLY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

  private final Path path;
  /** The shared-memory directory; null without one. */
  private final Path shared;

  private RunDirectory(Path path, Path shared) {
    this.path = path;
    this.shared = shared;
  }

  /** Creates a fresh directory for the pool named {@code pool}, without shared memory. */
  public static RunDirectory create(String pool) {
    return create(pool, null);
  }

  /**
   * Creates fresh directories for the pool named {@code pool}: its sockets', and its shared memory's in
   * {@code sharedBase} (none when that is null). A shared-memory directory that cannot be made leaves
   * the pool without one, with a warning: every value then crosses the socket.
   */
  public static RunDirectory create(String pool, Path sharedBase) {
    Path sockets = createSocketDirectory(pool);
    if (sharedBase == null) {
      return new RunDirectory(sockets, null);
    }
    try {
      Path shared = Files.createTempDirectory(sharedBase, PREFIX + ProcessHandle.current().pid() + "-" + pool + "-", OWNER_ONLY);
      RunRegistry.get().addDirectory(shared);
      return new RunDirectory(sockets, shared);
    } catch (IOException | UnsupportedOperationException e) {
      LOG.warn("pool '{}': shared memory is off, every value crosses the socket: cannot create a directory in {}: {}", pool,
          sharedBase, e.toString());
      return new RunDirectory(sockets, null);
    }
  }

  private static Path createSocketDirectory(String pool) {
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
        Path dir = Files.createTempDirectory(parent, prefix, OWNER_ONLY);
        RunRegistry.get().addDirectory(dir);
        return dir;
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

  /** The pool's shared-memory directory (docs/protocol.md, section 3.5); null when it has none. */
  public Path sharedMemoryDirectory() {
    return shared;
  }

  /** Deletes the directories and whatever is left in them. */
  @Override
  public void close() {
    delete(path);
    RunRegistry.get().removeDirectory(path);
    if (shared != null) {
      delete(shared);
      RunRegistry.get().removeDirectory(shared);
    }
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
