"""Tools that take and return Arrow tables, for snakepit-arrow's tests: pyarrow, pandas and polars."""
from typing import Any, Dict

import pyarrow as pa
import pyarrow.compute as pc

from snakepit import Adapter, tool


class TablesAdapter(Adapter):
    @tool
    def describe(self, table: Any) -> Dict[str, Any]:
        """What arrived: the Python type, the schema as text per column, the rows and every column's values."""
        return {"type": type(table).__module__ + "." + type(table).__name__,
                "schema": {f.name: str(f.type) for f in table.schema},
                "rows": table.num_rows, "columns": table.to_pydict()}

    @tool
    def scaled(self, table: Any, column: str, factor: float) -> Any:
        """The table with ``column`` multiplied by ``factor``: a pyarrow.Table back."""
        index = table.schema.get_field_index(column)
        return table.set_column(index, column, pc.multiply(table.column(column), factor))

    @tool
    def batches(self, n: int, rows: int) -> Any:
        """A table of n record batches of ``rows`` rows each: id (int64) and label (string)."""
        parts = [pa.record_batch({"id": pa.array(range(i * rows, (i + 1) * rows), pa.int64()),
                                  "label": ["row-%d" % j for j in range(i * rows, (i + 1) * rows)]})
                 for i in range(n)]
        return pa.Table.from_batches(parts)

    @tool
    def pandas_frame(self, n: int) -> Any:
        """A pandas DataFrame of n rows: x (float64) and even (bool)."""
        import pandas as pd
        return pd.DataFrame({"x": [i / 2 for i in range(n)], "even": [i % 2 == 0 for i in range(n)]})

    @tool
    def polars_frame(self, n: int) -> Any:
        """A polars DataFrame of n rows: k (int64) and name (string)."""
        import polars as pl
        return pl.DataFrame({"k": list(range(n)), "name": ["n%d" % i for i in range(n)]})

    @tool
    def echo(self, value: Any) -> Any:
        return value
