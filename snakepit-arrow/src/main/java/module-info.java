/**
 * Arrow tables for Snakepit: {@link dev.snakepit.arrow.ArrowTables} turns Arrow Java's
 * {@code VectorSchemaRoot} into the core's {@link dev.snakepit.ArrowData} (Arrow IPC in one attachment)
 * and back, so that record batches cross to and from pyarrow tables, pandas and polars DataFrames in the
 * worker without a per-value walk.
 */
module dev.snakepit.arrow {
  requires transitive dev.snakepit;
  requires transitive org.apache.arrow.vector;
  requires transitive org.apache.arrow.memory.core;

  exports dev.snakepit.arrow;
}
