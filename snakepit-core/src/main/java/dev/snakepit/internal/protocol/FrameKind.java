package dev.snakepit.internal.protocol;

/**
 * The kinds of frame of protocol version 1 (docs/protocol.md, section 2.4), with their wire codes and
 * the plane each one travels on.
 */
public enum FrameKind {
  HELLO(1, Plane.DATA),
  WELCOME(2, Plane.DATA),
  CALL(3, Plane.DATA),
  RESULT(4, Plane.DATA),
  ERROR(5, Plane.DATA),
  SHUTDOWN(6, Plane.DATA),
  SESSION_OPEN(7, Plane.DATA),
  SESSION_CLOSE(8, Plane.DATA),
  CHUNK(9, Plane.DATA),
  CREDIT(10, Plane.DATA),
  HOST_CALL(11, Plane.DATA),
  HOST_RESULT(12, Plane.DATA),
  HOST_ERROR(13, Plane.DATA),
  LOG(16, Plane.CONTROL),
  FATAL(17, Plane.CONTROL),
  CANCEL(18, Plane.CONTROL),
  HEARTBEAT(19, Plane.CONTROL),
  HEARTBEAT_ACK(20, Plane.CONTROL),
  RETIRE(21, Plane.CONTROL),
  /** The template's kinds (docs/protocol.md, section 4.16): on its control plane only, never a worker's. */
  TEMPLATE_READY(22, Plane.CONTROL),
  FORK(23, Plane.CONTROL),
  FORKED(24, Plane.CONTROL),
  REAPED(25, Plane.CONTROL);

  /** Which of a worker's two channels carries a kind (docs/protocol.md, section 1). */
  public enum Plane {
    /** The worker's Unix socket. */
    DATA,
    /** The worker's private copies of stdin and stdout. */
    CONTROL
  }

  // Indexed by code; the reader looks a kind up for every frame, so no boxing and no hashing.
  private static final FrameKind[] BY_CODE;

  static {
    int highest = 0;
    for (FrameKind kind : values()) {
      highest = Math.max(highest, kind.code);
    }
    BY_CODE = new FrameKind[highest + 1];
    for (FrameKind kind : values()) {
      BY_CODE[kind.code] = kind;
    }
  }

  private final int code;
  private final Plane plane;

  FrameKind(int code, Plane plane) {
    this.code = code;
    this.plane = plane;
  }

  /** The kind's byte on the wire, 1 to 255. */
  public int code() {
    return code;
  }

  public Plane plane() {
    return plane;
  }

  /** The kind with this wire code, or {@code null} when version 1 defines none. */
  public static FrameKind ofCode(int code) {
    return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
  }
}
