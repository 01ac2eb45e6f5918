/** The {@code snakepit} command. */
module dev.snakepit.cli {
  requires dev.snakepit;
  requires org.slf4j;
}
