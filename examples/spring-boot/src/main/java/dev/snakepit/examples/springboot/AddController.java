package dev.snakepit.examples.springboot;

import dev.snakepit.Snakepit;
import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /add?a=1&b=2}: the sum, computed by the adapter's {@code add} tool in a worker. */
@RestController
class AddController {
  private final Snakepit calculator;

  /** The only pool of the application, so injected by its type alone. */
  AddController(Snakepit calculator) {
    this.calculator = calculator;
  }

  @GetMapping("/add")
  Sum add(@RequestParam long a, @RequestParam long b) {
    long sum = (Long) calculator.execute("add", Map.of("a", a, "b", b));
    return new Sum(a, b, sum);
  }

  record Sum(long a, long b, long sum) {}
}
