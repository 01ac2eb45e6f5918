package dev.snakepit.cli;

import java.lang.module.ModuleDescriptor;
import java.util.List;

/** {@code snakepit version}: the versions of Snakepit and of the Java running it. */
final class VersionCommand implements Command {
  @Override
  public String name() {
    return "version";
  }

  @Override
  public String summary() {
    return "print the versions of Snakepit and of the Java running it";
  }

  @Override
  public List<Option> options() {
    return List.of();
  }

  @Override
  public int run(Options options, Terminal terminal) {
    terminal.out().printf("snakepit %s (on the %s path)%njava %s (%s), %s %s%n", version(Main.class.getModule()),
        Main.class.getModule().isNamed() ? "module" : "class", Runtime.version(),
        System.getProperty("java.vm.name"), System.getProperty("os.name"), System.getProperty("os.arch"));
    return OK;
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
