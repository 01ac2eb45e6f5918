package dev.snakepit.examples.springboot;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A web application whose arithmetic runs in Python: the pool {@code calculator} of application.yml is
 * started by snakepit-spring-boot-starter with the context and closed with it.
 */
@SpringBootApplication
public class CalculatorApplication {
  public static void main(String[] args) {
    SpringApplication.run(CalculatorApplication.class, args);
  }
}
