package dev.snakepit.cli;

/** Entry point of the {@code snakepit} command. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(0);
  }
}
