package dev.snakepit.internal.protocol;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A value could not be written to the pool's shared memory (docs/protocol.md, section 3.5): the
 * directory is full ({@code ENOSPC}), or another I/O error. Nothing of it is left in the directory.
 * The message names the directory, the size, the free space and the remedies.
 */
public final class SharedMemoryException extends IOException {
  private static final long serialVersionUID = 1L;

  private final long size;
  private final long free;

  SharedMemoryException(Path directory, long size, long free, IOException cause) {
    super(size + " bytes cannot be written to the pool's shared memory " + directory + ": " + reason(cause) + "; " + free
        + " bytes are free there. Raise the container's shared memory (docker run --shm-size=1g; Kubernetes: an"
        + " emptyDir volume with medium: Memory and a sizeLimit, mounted at /dev/shm), or send such values through the"
        + " socket: raise PoolConfig.sharedMemoryThreshold, or turn it off with PoolConfig.sharedMemory(false)", cause);
    this.size = size;
    this.free = free;
  }

  /** The bytes that were to be written. */
  public long size() {
    return size;
  }

  /** The bytes free in the directory's file system when the write failed; -1 if unknown. */
  public long free() {
    return free;
  }

  private static String reason(IOException cause) {
    String message = cause.getMessage();
    // The JDK reports ENOSPC as an IOException whose message is the C library's text.
    return message == null || message.isBlank() ? cause.getClass().getSimpleName() : message;
  }
}
