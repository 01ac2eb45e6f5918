package dev.snakepit.arrow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.ArrowData;
import dev.snakepit.ErrorKind;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitException;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.TestPools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Arrow record batches to and from real workers: pyarrow tables, pandas and polars DataFrames. */
@PoolTest
class ArrowTablesTest {
  private static Snakepit pool;
  private BufferAllocator allocator;

  @BeforeAll
  static void startPool() {
    String repo = System.getProperty("snakepit.test.repo", "");
    Path adapters = Path.of(repo, "snakepit-arrow", "src", "test", "python").toAbsolutePath();
    pool = TestPools.start(TestPools.builder("arrowtests.tables:TablesAdapter", "arrow").addPythonPath(adapters));
  }

  @AfterAll
  static void closePool() {
    if (pool != null) {
      pool.close();
    }
  }

  @BeforeEach
  void openAllocator() {
    allocator = new RootAllocator();
  }

  @AfterEach
  void closeAllocator() {
    allocator.close(); // fails the test if a buffer was not released
  }

  private VectorSchemaRoot people() {
    BigIntVector id = new BigIntVector("id", allocator);
    VarCharVector name = new VarCharVector("name", allocator);
    Float8Vector score = new Float8Vector("score", allocator);
    for (int i = 0; i < 3; i++) {
      id.setSafe(i, 10L + i);
      score.setSafe(i, i * 1.5);
    }
    name.setSafe(0, "ada".getBytes(StandardCharsets.UTF_8));
    name.setNull(1);
    name.setSafe(2, "grace".getBytes(StandardCharsets.UTF_8));
    VectorSchemaRoot root = VectorSchemaRoot.of(id, name, score);
    root.setRowCount(3);
    return root;
  }

  @Test
  void aRootArrivesAsAPyarrowTableWithItsSchemaAndValues() {
    try (VectorSchemaRoot root = people()) {
      Map<?, ?> seen = (Map<?, ?>) pool.execute("describe", Map.of("table", ArrowTables.toArrowData(root)));

      assertThat(seen.get("type")).isEqualTo("pyarrow.lib.Table");
      assertThat(seen.get("schema")).isEqualTo(Map.of("id", "int64", "name", "string", "score", "double"));
      assertThat(seen.get("rows")).isEqualTo(3L);
      Map<?, ?> columns = (Map<?, ?>) seen.get("columns");
      assertThat(columns.get("id")).isEqualTo(List.of(10L, 11L, 12L));
      assertThat(columns.get("name")).isEqualTo(Arrays.asList("ada", null, "grace"));
      assertThat(columns.get("score")).isEqualTo(List.of(0.0, 1.5, 3.0));
    }
  }

  @Test
  void aTableComesBackIntoARoot() {
    try (VectorSchemaRoot root = people()) {
      ArrowData back = (ArrowData) pool.execute("scaled", Map.of("table", ArrowTables.toArrowData(root), "column", "score",
          "factor", 2.0));

      try (VectorSchemaRoot scaled = ArrowTables.read(back, allocator)) {
        assertThat(scaled.getRowCount()).isEqualTo(3);
        assertThat(((Float8Vector) scaled.getVector("score")).get(2)).isEqualTo(6.0);
        assertThat(((BigIntVector) scaled.getVector("id")).get(0)).isEqualTo(10L);
        assertThat(scaled.getVector("name").isNull(1)).isTrue();
        assertThat(scaled.getSchema()).isEqualTo(root.getSchema());
      }
    }
  }

  @Test
  void manyRecordBatchesAreReadIntoOneRootOrOneByOne() throws Exception {
    ArrowData table = (ArrowData) pool.execute("batches", Map.of("n", 3, "rows", 1000));

    try (VectorSchemaRoot all = ArrowTables.read(table, allocator)) {
      assertThat(all.getRowCount()).isEqualTo(3000);
      BigIntVector id = (BigIntVector) all.getVector("id");
      assertThat(id.get(0)).isZero();
      assertThat(id.get(2999)).isEqualTo(2999L);
      assertThat(new String(((VarCharVector) all.getVector("label")).get(1500), StandardCharsets.UTF_8)).isEqualTo("row-1500");
    }
    int batches = 0;
    try (var reader = ArrowTables.reader(table, allocator)) {
      while (reader.loadNextBatch()) {
        assertThat(reader.getVectorSchemaRoot().getRowCount()).isEqualTo(1000);
        batches++;
      }
    }
    assertThat(batches).isEqualTo(3);
  }

  @Test
  void pandasAndPolarsDataFramesArriveAsTables() {
    try (VectorSchemaRoot frame = ArrowTables.read((ArrowData) pool.execute("pandas_frame", Map.of("n", 4)), allocator)) {
      assertThat(frame.getRowCount()).isEqualTo(4);
      assertThat(((Float8Vector) frame.getVector("x")).get(3)).isEqualTo(1.5);
      assertThat(((BitVector) frame.getVector("even")).get(2)).isEqualTo(1);
    }
    try (VectorSchemaRoot frame = ArrowTables.read((ArrowData) pool.execute("polars_frame", Map.of("n", 2)), allocator)) {
      assertThat(((BigIntVector) frame.getVector("k")).get(1)).isEqualTo(1L);
      assertThat(frame.getVector("name").getObject(1)).hasToString("n1");
    }
  }

  @Test
  void bytesThatAreNotAStreamAreRefusedOnEitherSide() {
    ArrowData garbage = ArrowData.of(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});

    assertThatThrownBy(() -> ArrowTables.read(garbage, allocator)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("the 8 bytes of the ArrowData are not an Arrow IPC stream");
    assertThatThrownBy(() -> pool.execute("echo", Map.of("value", garbage)))
        .isInstanceOfSatisfying(SnakepitException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.SERIALIZATION_ERROR))
        .hasMessageContaining("are not an Arrow IPC stream");
    assertThat(pool.execute("echo", Map.of("value", 1))).isEqualTo(1L);
  }
}
