/** The {@code snakepit} command. */
module dev.snakepit.cli {
  requires dev.snakepit;
  requires dev.snakepit.server;
  requires com.fasterxml.jackson.databind;
  requires java.net.http;
  // sun.misc.Signal: serve stops gracefully on SIGTERM before the JVM's shutdown begins.
  requires jdk.unsupported;
  requires info.picocli;
  requires org.slf4j;

  // picocli reads the commands' annotations and sets their option fields by reflection.
  opens dev.snakepit.cli to info.picocli;
}
