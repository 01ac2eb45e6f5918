package dev.snakepit.bench;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The Jep reference: CPython embedded in this JVM by Jep, a Jep {@code SharedInterpreter} calling Python
 * functions in-process. Jep is not a dependency of the bench: its jar and native library come with the
 * Jep built into the bench's interpreter ({@code site-packages/jep/}), found by asking that interpreter,
 * and are loaded from there at run time, so the other sections need neither. Its API is reached through
 * method handles (a few nanoseconds a call, against a few hundred for a Jep call).
 *
 * <p>An interpreter may be used only by the thread that created it: every method, {@link #close()}
 * included, must be called on the thread that called {@link #start}. CPython stays initialized until the
 * JVM exits (Jep cannot stop and start it again), so Jep can be started once per JVM.
 */
final class JepSide implements AutoCloseable {
  /** The Python side: nothing; the argument back (a Java array crosses as a view of it); a copy as bytes. */
  private static final String FUNCTIONS = """
      def ping():
          pass

      def echo(value):
          return value

      def as_bytes(value):
          return bytes(value)
      """;
  private static final Object[] NO_ARGUMENTS = {};

  /** Where Jep lies in an interpreter: its jar, its native library, and the interpreter's own path. */
  record Install(Path jar, Path library, String executable) {}

  private final MethodHandle invoke;
  private final MethodHandle close;
  /** Reused by {@link #copyThroughBytes}; confined, as the interpreter is, to the thread that started it. */
  private final ByteBuffer direct;

  private JepSide(MethodHandle invoke, MethodHandle close, int bufferSize) {
    this.invoke = invoke;
    this.close = close;
    this.direct = ByteBuffer.allocateDirect(bufferSize);
  }

  /** Where Jep is installed in {@code python}, or why it cannot be used from here. */
  static Install locate(String python) throws References.MissingReference {
    String missing = "Jep is not installed in " + PythonProbe.display(python) + ": build it with " + References.BUILD_SCRIPT;
    // find_spec does not run jep/__init__.py, which refuses to import outside a JVM.
    Optional<List<String>> lines = PythonProbe.lines(python, "import importlib.util, sys\n"
        + "spec = importlib.util.find_spec('jep')\n"
        + "print(sys.executable)\n"
        + "print(spec.submodule_search_locations[0] if spec and spec.submodule_search_locations else '')");
    if (lines.isEmpty() || lines.get().size() < 2 || lines.get().get(1).isEmpty()) {
      throw new References.MissingReference(missing);
    }
    Path directory = Path.of(lines.get().get(1));
    Optional<Path> jar = find(directory, "jep-", ".jar");
    Optional<Path> library = find(directory, "libjep", ".so").or(() -> find(directory, "jep.", ".so"));
    if (jar.isEmpty() || library.isEmpty()) {
      throw new References.MissingReference(missing + " (its package has no jep-*.jar or libjep.so)");
    }
    return new Install(jar.get(), library.get(), lines.get().getFirst());
  }

  private static Optional<Path> find(Path directory, String prefix, String suffix) {
    try (Stream<Path> files = Files.list(directory)) {
      return files.filter(f -> {
        String name = f.getFileName().toString();
        return name.startsWith(prefix) && name.endsWith(suffix) && !name.endsWith("-sources.jar");
      }).sorted().findFirst();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * Initializes CPython inside this JVM as the interpreter of {@code install} (its program name is that
   * interpreter, so a virtual environment's site-packages are on its path), creates a shared interpreter
   * and defines the functions the measurements call.
   *
   * @param bufferSize the largest payload {@link #copyThroughBytes} will be given
   */
  static JepSide start(Install install, int bufferSize) throws Exception {
    try {
      return open(install, bufferSize);
    } catch (Exception | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException("cannot start Jep from " + install.jar().getFileName() + ": " + e, e);
    }
  }

  private static JepSide open(Install install, int bufferSize) throws Throwable {
    // Never closed: the classes it loads, and the native library bound to them, serve until the JVM exits.
    URLClassLoader loader = new URLClassLoader("jep", new URL[] {install.jar().toUri().toURL()}, JepSide.class.getClassLoader());
    MethodHandles.Lookup lookup = MethodHandles.publicLookup();
    Class<?> main = loader.loadClass("jep.MainInterpreter");
    Class<?> config = loader.loadClass("jep.PyConfig");
    Class<?> shared = loader.loadClass("jep.SharedInterpreter");
    lookup.findStatic(main, "setJepLibraryPath", MethodType.methodType(void.class, String.class))
        .invoke(install.library().toString());
    Object pyConfig = lookup.findConstructor(config, MethodType.methodType(void.class)).invoke();
    lookup.findVirtual(config, "setProgramName", MethodType.methodType(config, String.class)).invoke(pyConfig, install.executable());
    lookup.findStatic(main, "setInitParams", MethodType.methodType(void.class, config)).invoke(pyConfig);
    Object interpreter = lookup.findConstructor(shared, MethodType.methodType(void.class)).invoke();
    MethodHandle close = lookup.findVirtual(shared, "close", MethodType.methodType(void.class)).bindTo(interpreter);
    try {
      lookup.findVirtual(shared, "exec", MethodType.methodType(void.class, String.class)).invoke(interpreter, FUNCTIONS);
      MethodHandle invoke = lookup.findVirtual(shared, "invoke", MethodType.methodType(Object.class, String.class, Object[].class))
          .bindTo(interpreter);
      return new JepSide(invoke, close, bufferSize);
    } catch (Throwable e) {
      close.invoke();
      throw e;
    }
  }

  private Object call(String function, Object... arguments) throws Exception {
    try {
      return (Object) invoke.invokeExact(function, arguments);
    } catch (Exception | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException("Jep's " + function + " failed: " + e, e);
    }
  }

  /** A call of a Python function that does nothing. */
  void ping() throws Exception {
    call("ping", NO_ARGUMENTS);
  }

  /**
   * {@code data} to a Python function that returns it: Jep hands Python a view of the Java array (a
   * {@code jep.PyJArray}, over a copy of its elements that JNI makes when the view is created) and gives
   * the same array back.
   */
  byte[] echo(byte[] data) throws Exception {
    return (byte[]) call("echo", (Object) data);
  }

  /**
   * {@code data} made into Python {@code bytes} and back into a new Java array: copied into a direct
   * buffer (Python reads it through the buffer protocol, which a Java array does not offer), turned into
   * {@code bytes} by Python, and converted to a {@code byte[]} by Jep on the way back.
   */
  byte[] copyThroughBytes(byte[] data) throws Exception {
    direct.clear();
    direct.put(data).flip();
    return (byte[]) call("as_bytes", direct.slice());
  }

  /** {@code bytes(x)} of the Java array itself: Python reads the array one element at a time. */
  byte[] bytesOfArray(byte[] data) throws Exception {
    return (byte[]) call("as_bytes", (Object) data);
  }

  @Override
  public void close() throws Exception {
    try {
      close.invokeExact();
    } catch (Exception | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException("cannot close Jep's interpreter: " + e, e);
    }
  }
}
