package org.safethread.examples;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A side-by-side comparison printed at the end of a demo: one column per variant, one row per
 * measure, the first column left-aligned, the others right-aligned.
 */
final class Table {
    private final List<String[]> rows = new ArrayList<>();
    private final int columns;

    /** @param header the header row: the measure column's title, then one title per variant */
    Table(String... header) {
        columns = header.length;
        rows.add(header.clone());
    }

    /** Adds a row; {@code cells} has one cell per column. */
    Table row(String... cells) {
        if (cells.length != columns) {
            throw new IllegalArgumentException("a row needs " + columns + " cells, got " + Arrays.toString(cells));
        }
        rows.add(cells.clone());
        return this;
    }

    /** Prints the table, a rule under the header. */
    void print(PrintWriter out) {
        int[] w = new int[columns];
        for (String[] r : rows) {
            for (int i = 0; i < columns; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        for (int k = 0; k < rows.size(); k++) {
            String[] r = rows.get(k);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                sb.append(i == 0 ? String.format("%-" + w[0] + "s", r[0]) : String.format("   %" + w[i] + "s", r[i]));
            }
            out.println(sb.toString().stripTrailing());
            if (k == 0) {
                int total = Arrays.stream(w).sum() + 3 * (columns - 1);
                out.println("-".repeat(total));
            }
        }
    }
}
