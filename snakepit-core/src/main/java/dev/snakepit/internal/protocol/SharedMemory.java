package dev.snakepit.internal.protocol;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * A pool's shared memory for large values (docs/protocol.md, section 3.5): the directory in which the
 * JVM and its workers put the bytes of a value of at least {@link #threshold()} bytes, as a file that
 * the frame names with a {@code $shm} tag where a bytes tag would stand.
 *
 * <p>The JVM's files are {@code j-<n>}. It writes them, mode 0600 and created anew, with
 * {@code write} calls, never through a writable mapping, so that a full file system is an error while
 * the file is written ({@code ENOSPC}: {@link SharedMemoryException}), never a {@code SIGBUS} later;
 * a file that cannot be written in full is removed and nothing is sent. A file is removed when the
 * call it was made for ends, if the worker has not unlinked it by then. A worker's files
 * ({@code <worker id>-<n>}) are claimed as soon as the frame naming them is read: opened, checked and
 * unlinked ({@link #claim}), so that nothing is left of them once their descriptors are closed, whatever
 * becomes of the frame; those of a worker that died are removed when it is buried
 * ({@link #removeFilesOf}).
 *
 * <p>Thread-safe; one instance serves a whole pool.
 */
public final class SharedMemory {
  /** No shared memory: every value crosses the socket, and a {@code $shm} tag is refused. */
  public static final SharedMemory OFF = new SharedMemory(null, Integer.MAX_VALUE);

  /** A file name on the wire: no slash and no dot, so it names nothing outside the pool's directory. */
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,127}");
  /** The JVM's files are {@code j-<n>}; a worker's, {@code <worker id>-<n>}. */
  static final String JVM_PREFIX = "j-";

  private static final FileAttribute<?> OWNER_ONLY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
  /**
   * Heap buffers are written in slices of this size: the JDK copies each write of a heap buffer into
   * a temporary direct buffer as large as the write, which it then keeps for the thread.
   */
  private static final int HEAP_SLICE_BYTES = 1 << 20;

  private final Path directory;
  private final int threshold;
  private final AtomicLong names = new AtomicLong();

  /** Shared memory in {@code directory} (the pool's own, private one) for values of {@code threshold} bytes and more. */
  public SharedMemory(Path directory, int threshold) {
    this.directory = directory;
    this.threshold = threshold;
  }

  /** Whether values may travel through shared memory. */
  public boolean on() {
    return directory != null;
  }

  /** The pool's directory; null when {@linkplain #on() off}. */
  public Path directory() {
    return directory;
  }

  /** From how many bytes a value goes through shared memory. */
  public int threshold() {
    return threshold;
  }

  /** Whether a buffer of {@code bytes} goes through shared memory. */
  boolean takes(int bytes) {
    return directory != null && bytes >= threshold;
  }

  /** A fresh name for one of the JVM's files. */
  String nextName() {
    return JVM_PREFIX + names.incrementAndGet();
  }

  /**
   * Writes the files of the values that {@code body} sends through shared memory. On any failure the
   * files written are removed and nothing is left; the body must then not be sent.
   *
   * @throws SharedMemoryException naming the directory, the size, the free space and the remedies
   */
  public void write(EncodedBody body) throws SharedMemoryException {
    List<Path> made = new ArrayList<>(body.segments().size());
    // An interrupt would close the channel mid-write; it is held back and restored, as the frame writer does.
    boolean interrupted = Thread.interrupted();
    try {
      for (EncodedBody.Segment segment : body.segments()) {
        Path file = directory.resolve(segment.name());
        try (FileChannel out = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            OWNER_ONLY)) {
          made.add(file);
          writeAll(out, segment.bytes());
        }
      }
    } catch (IOException e) {
      made.forEach(SharedMemory::deleteQuietly);
      interrupted |= e instanceof ClosedByInterruptException;
      throw new SharedMemoryException(directory, body.segmentBytes(), freeBytes(), e);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void writeAll(FileChannel out, ByteBuffer bytes) throws IOException {
    ByteBuffer view = bytes.duplicate();
    if (view.isDirect()) {
      while (view.hasRemaining()) {
        out.write(view);
      }
      return;
    }
    for (int at = view.position(); at < view.limit(); ) {
      ByteBuffer slice = view.slice(at, Math.min(HEAP_SLICE_BYTES, view.limit() - at));
      while (slice.hasRemaining()) {
        out.write(slice);
      }
      at += slice.capacity();
    }
  }

  /** Removes the files of {@code body}: its call has ended. The worker unlinked most already; that is no error. */
  public void remove(EncodedBody body) {
    for (EncodedBody.Segment segment : body.segments()) {
      deleteQuietly(directory.resolve(segment.name()));
    }
  }

  /** Removes every file that worker {@code workerId} made: it is dead, and no frame of it will be read. */
  public void removeFilesOf(String workerId) {
    if (directory == null) {
      return;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, workerId + "-*")) {
      files.forEach(SharedMemory::deleteQuietly);
    } catch (IOException e) {
      // The directory is gone: the pool is closing.
    }
  }

  /**
   * Claims the files that a frame from worker {@code workerId} names: opens, checks and unlinks each.
   * Called on the thread reading the worker's socket, as each frame is read.
   */
  SharedSegments claim(byte[] body, String workerId) {
    return directory == null ? SharedSegments.NONE : SharedSegments.claim(body, directory, workerId + "-");
  }

  /** The bytes left for an unprivileged writer in the directory's file system; -1 if unknown. */
  long freeBytes() {
    try {
      FileStore store = Files.getFileStore(directory);
      return store.getUsableSpace();
    } catch (IOException e) {
      return -1;
    }
  }

  static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // Removed by the other side meanwhile, or the directory is gone with the pool.
    }
  }

  @Override
  public String toString() {
    return directory == null ? "SharedMemory[off]" : "SharedMemory[" + directory + ", from " + threshold + " bytes]";
  }
}
