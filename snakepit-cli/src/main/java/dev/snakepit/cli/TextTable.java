package dev.snakepit.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A plain-text table: a header row, a rule, and rows whose columns are padded to the widest cell.
 * Columns listed as right-aligned suit numbers. Cells are plain strings; nothing is truncated. The
 * same table renders as Markdown for the benchmark report, which is why the type is public.
 */
public final class TextTable {
  private final String[] header;
  private final boolean[] rightAligned;
  private final List<String[]> rows = new ArrayList<>();

  /** A table with these column headers; {@code rightAligned} holds the indices of numeric columns. */
  public TextTable(List<String> header, int... rightAligned) {
    this.header = header.toArray(String[]::new);
    this.rightAligned = new boolean[this.header.length];
    for (int column : rightAligned) {
      this.rightAligned[column] = true;
    }
  }

  /** Adds a row; it must have one cell per column. */
  public TextTable row(String... cells) {
    if (cells.length != header.length) {
      throw new IllegalArgumentException("a row needs " + header.length + " cells, got " + Arrays.toString(cells));
    }
    rows.add(cells.clone());
    return this;
  }

  /** The table, each line indented by {@code indent} spaces and ending with a newline. */
  String render(int indent) {
    int[] widths = new int[header.length];
    for (String[] row : all()) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    StringBuilder out = new StringBuilder();
    line(out, indent, header, widths);
    String[] rule = new String[header.length];
    for (int i = 0; i < rule.length; i++) {
      rule[i] = "-".repeat(widths[i]);
    }
    line(out, indent, rule, widths);
    for (String[] row : rows) {
      line(out, indent, row, widths);
    }
    return out.toString();
  }

  /**
   * The table as Markdown: the header, a rule ({@code ---:} under a right-aligned column, else
   * {@code ---}), a line per row, each cell between pipes, a {@code |} in a cell escaped. No padding:
   * whatever displays Markdown lines the columns up.
   */
  public String renderMarkdown() {
    StringBuilder out = new StringBuilder();
    markdownLine(out, header);
    out.append('|');
    for (boolean right : rightAligned) {
      out.append(right ? "---:|" : "---|");
    }
    out.append('\n');
    for (String[] row : rows) {
      markdownLine(out, row);
    }
    return out.toString();
  }

  private static void markdownLine(StringBuilder out, String[] cells) {
    out.append('|');
    for (String cell : cells) {
      out.append(' ').append(cell.replace("|", "\\|")).append(" |");
    }
    out.append('\n');
  }

  private List<String[]> all() {
    List<String[]> all = new ArrayList<>(rows);
    all.add(0, header);
    return all;
  }

  private void line(StringBuilder out, int indent, String[] cells, int[] widths) {
    StringBuilder line = new StringBuilder(" ".repeat(indent));
    for (int i = 0; i < cells.length; i++) {
      if (i > 0) {
        line.append("  ");
      }
      String pad = " ".repeat(widths[i] - cells[i].length());
      line.append(rightAligned[i] ? pad + cells[i] : cells[i] + pad);
    }
    out.append(line.toString().stripTrailing()).append('\n');
  }
}
