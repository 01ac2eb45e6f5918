package dev.snakepit.cli;

import java.lang.module.ModuleDescriptor;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code snakepit version}: the versions of Snakepit and of the Java running it. */
@Command(name = "version", description = "print the versions of Snakepit and of the Java running it")
final class VersionCommand implements Callable<Integer> {
  private final Terminal terminal;

  VersionCommand(Terminal terminal) {
    this.terminal = terminal;
  }

  @Override
  public Integer call() {
    terminal.out().printf("snakepit %s (on the %s path)%njava %s (%s), %s %s%n", version(Main.class.getModule()),
        Main.class.getModule().isNamed() ? "module" : "class", Runtime.version(),
        System.getProperty("java.vm.name"), System.getProperty("os.name"), System.getProperty("os.arch"));
    return Main.OK;
  }

  /** The version the build recorded in the module descriptor, or {@code unknown} on the class path. */
  static String version(Module module) {
    ModuleDescriptor descriptor = module.getDescriptor();
    if (descriptor != null && descriptor.rawVersion().isPresent()) {
      return descriptor.rawVersion().get();
    }
    String fromManifest = Main.class.getPackage().getImplementationVersion();
    return fromManifest != null ? fromManifest : "unknown";
  }
}
