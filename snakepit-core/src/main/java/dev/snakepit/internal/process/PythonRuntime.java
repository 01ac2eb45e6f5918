package dev.snakepit.internal.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Properties;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The Python worker runtime (package {@code snakepit}), which the build zips into this jar, unpacked
 * into a cache directory on first use.
 *
 * <p>The directory's name carries the library version and a digest of the zip, so different versions
 * never share one, and an existing directory never needs checking. Several JVMs may unpack at once:
 * each unpacks into a private temporary directory and renames it into place atomically; whoever
 * loses the race deletes its copy and uses the winner's. A directory is therefore either absent or
 * complete. Python writes its bytecode caches beside the sources, so later starts skip compiling.
 *
 * <p>The cache lives in {@code $SNAKEPIT_CACHE_DIR}, else {@code $XDG_CACHE_HOME/snakepit}, else
 * {@code ~/.cache/snakepit}.
 */
public final class PythonRuntime {
  private static final String RESOURCE = "python-runtime.zip";
  private static final Object LOCK = new Object();

  /** Guarded by LOCK; null until the first successful unpack in this JVM. */
  private static Path unpacked;

  private PythonRuntime() {}

  /** The directory to put on {@code PYTHONPATH} so that {@code python -m snakepit} finds the runtime. */
  public static Path directory() {
    synchronized (LOCK) {
      if (unpacked == null) {
        unpacked = unpack(cacheRoot());
      }
      return unpacked;
    }
  }

  /** The library version, as the build recorded it. */
  public static String version() {
    Properties props = new Properties();
    try (InputStream in = PythonRuntime.class.getResourceAsStream("/dev/snakepit/internal/version.properties")) {
      if (in != null) {
        props.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return props.getProperty("version", "unknown");
  }

  /**
   * Unpacks another zip of Python code that a module of this project bundles (the chaos adapter of
   * {@code snakepit-chaos}) into the same cache, the same way, and returns its directory.
   *
   * @param owner the class whose package holds the resource
   * @param resource the zip's resource name, relative to {@code owner}
   * @param prefix the start of the cache directory's name, such as {@code "chaos"}
   */
  public static Path unpackBundled(Class<?> owner, String resource, String prefix) {
    return unpack(cacheRoot(), readResource(owner, resource), prefix, () -> {});
  }

  static Path unpack(Path cacheRoot) {
    return unpack(cacheRoot, () -> {});
  }

  /** {@code beforeMove} runs once the private copy is complete; tests use it to line up a race. */
  static Path unpack(Path cacheRoot, Runnable beforeMove) {
    return unpack(cacheRoot, readResource(PythonRuntime.class, RESOURCE), "runtime", beforeMove);
  }

  private static Path unpack(Path cacheRoot, byte[] zip, String prefix, Runnable beforeMove) {
    String name = prefix + "-" + version() + "-" + digest(zip).substring(0, 16);
    Path target = cacheRoot.resolve(name);
    if (Files.isDirectory(target)) {
      return target;
    }
    Path staging = null;
    try {
      Files.createDirectories(cacheRoot);
      staging = Files.createTempDirectory(cacheRoot, "." + name + "-");
      extract(zip, staging);
      beforeMove.run();
      try {
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        staging = null;
      } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
        if (!Files.isDirectory(target)) {
          throw e;
        }
      } catch (IOException e) {
        // Linux reports "directory not empty" when another JVM won the race.
        if (!Files.isDirectory(target)) {
          throw e;
        }
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot unpack bundled Python code (" + name + ") into " + cacheRoot
              + " (set SNAKEPIT_CACHE_DIR to a writable directory)", e);
    } finally {
      if (staging != null) {
        deleteTree(staging);
      }
    }
  }

  /** Where Snakepit keeps per-user files: the runtime cache, the run registry. */
  static Path cacheRoot() {
    String explicit = System.getenv("SNAKEPIT_CACHE_DIR");
    if (explicit != null && !explicit.isBlank()) {
      return Path.of(explicit);
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    if (xdg != null && !xdg.isBlank()) {
      return Path.of(xdg, "snakepit");
    }
    return Path.of(System.getProperty("user.home"), ".cache", "snakepit");
  }

  private static byte[] readResource(Class<?> owner, String resource) {
    try (InputStream in = owner.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("the bundled Python code (" + resource + ") is missing from the jar of "
            + owner.getName() + "; the build is incomplete");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void extract(byte[] zip, Path into) throws IOException {
    try (ZipInputStream in = new ZipInputStream(new java.io.ByteArrayInputStream(zip))) {
      for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
        Path out = into.resolve(entry.getName()).normalize();
        if (!out.startsWith(into)) {
          throw new IOException("refusing zip entry outside the target: " + entry.getName());
        }
        if (entry.isDirectory()) {
          Files.createDirectories(out);
        } else {
          Files.createDirectories(out.getParent());
          Files.copy(in, out);
        }
      }
    }
  }

  private static String digest(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JDK", e);
    }
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // A leftover staging directory is harmless: it is hidden and never used.
    }
  }
}
