package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.TestPools;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The scikit-learn example (examples/scikit-learn): a model trained once per worker in setup, asked
 * from Java for predictions on an {@link NdArray} of features. Its predictions must be Python's own.
 */
@PoolTest
class ScikitLearnExampleTest {
  private static Snakepit pool;

  @BeforeAll
  static void startPool() {
    pool = TestPools.start(TestPools.builder("iris_classifier:IrisClassifier", "iris")
        .addPythonPath(examples())
        .size(2));
  }

  @AfterAll
  static void closePool() {
    if (pool != null) {
      pool.close();
    }
  }

  @Test
  void predictionsFromJavaAreThoseOfTheModelInPython() {
    @SuppressWarnings("unchecked")
    Map<String, Object> dataset = (Map<String, Object>) pool.execute("dataset", Map.of());
    NdArray features = (NdArray) dataset.get("features");
    long[] pythonsOwn = ((NdArray) dataset.get("predictions")).toLongArray();
    double[][] rows = (double[][]) features.toArray();

    NdArray predicted = (NdArray) pool.execute("predict", Map.of("x", rows));

    assertThat(features.shape()).containsExactly(150, 4);
    assertThat(predicted.dtype()).isEqualTo(NdArray.DType.INT64);
    assertThat(predicted.toLongArray()).containsExactly(pythonsOwn);
    long[] labels = ((NdArray) dataset.get("labels")).toLongArray();
    long right = 0;
    for (int i = 0; i < labels.length; i++) {
      right += labels[i] == pythonsOwn[i] ? 1 : 0;
    }
    assertThat(right).as("training accuracy").isGreaterThan(140);
  }

  @Test
  void bothWorkersAreTheSameModelAndRowsCanBeBuiltInJava() {
    double[][] flowers = {{5.1, 3.5, 1.4, 0.2}, {6.0, 2.9, 4.5, 1.5}, {7.7, 3.0, 6.1, 2.3}};

    List<Object> answers = List.of(pool.execute("predict", Map.of("x", flowers)),
        pool.execute("predict", Map.of("x", NdArray.of(new double[] {5.1, 3.5, 1.4, 0.2, 6.0, 2.9, 4.5, 1.5,
            7.7, 3.0, 6.1, 2.3}, 3, 4))));

    for (Object answer : answers) {
      assertThat(((NdArray) answer).toLongArray()).containsExactly(0, 1, 2);
    }
    assertThat(pool.execute("species", Map.of())).isEqualTo(List.of("setosa", "versicolor", "virginica"));
    NdArray probabilities = (NdArray) pool.execute("predict_proba", Map.of("x", flowers));
    assertThat(probabilities.shape()).containsExactly(3, 3);
    double[] p = probabilities.toDoubleArray();
    assertThat(p[0] + p[1] + p[2]).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
  }

  private static Path examples() {
    String repo = System.getProperty("snakepit.test.repo");
    Path root = repo == null || repo.isBlank() ? Path.of("..") : Path.of(repo);
    return root.resolve("examples/scikit-learn").toAbsolutePath();
  }
}
