/** The {@code snakepit} command. */
module dev.snakepit.cli {
  requires dev.snakepit;
  requires info.picocli;
  requires org.slf4j;

  // picocli reads the commands' annotations and sets their option fields by reflection.
  opens dev.snakepit.cli to info.picocli;
}
