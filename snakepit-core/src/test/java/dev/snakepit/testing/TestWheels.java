package dev.snakepit.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Wheels made by the tests themselves, so that an environment can be installed with no index: a pure
 * Python package {@code name} of one module whose {@code VALUE} is {@code value}, as pip expects a
 * wheel to be (METADATA, WHEEL and a RECORD with each file's digest).
 */
public final class TestWheels {
  private TestWheels() {}

  /** Writes {@code <name>-<version>-py3-none-any.whl} into {@code directory}; returns its path. */
  public static Path write(Path directory, String name, String version, int value) throws IOException {
    String module = name.replace('-', '_');
    String info = module + "-" + version + ".dist-info/";
    Map<String, String> files = new LinkedHashMap<>();
    files.put(module + "/__init__.py", "VALUE = " + value + "\n");
    files.put(info + "METADATA", "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n");
    files.put(info + "WHEEL", "Wheel-Version: 1.0\nGenerator: snakepit-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n");
    StringBuilder record = new StringBuilder();
    files.forEach((path, text) -> record.append(path).append(",sha256=").append(digest(text)).append(',')
        .append(text.getBytes(StandardCharsets.UTF_8).length).append('\n'));
    record.append(info).append("RECORD,,\n");
    files.put(info + "RECORD", record.toString());
    Path wheel = directory.resolve(module + "-" + version + "-py3-none-any.whl");
    try (OutputStream out = Files.newOutputStream(wheel); ZipOutputStream zip = new ZipOutputStream(out)) {
      for (Map.Entry<String, String> file : files.entrySet()) {
        zip.putNextEntry(new ZipEntry(file.getKey()));
        zip.write(file.getValue().getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
      }
    }
    return wheel;
  }

  private static String digest(String text) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
