package org.safethread.examples;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * {@code resources --chart FILE.png}: bytes held over time, safethread next to
 * {@link java.lang.ref.Cleaner}, with the memory budget as a line. Drawn by JFreeChart with
 * Java2D in headless mode (no display needed: {@code java.awt.headless} is set before any AWT
 * class loads, here and in {@link Main#main}).
 */
final class HeldBytesChart {
    /** Pixels: wide enough for a few seconds of 10 ms samples to read as lines, not a blur. */
    static final int WIDTH = 1200;
    static final int HEIGHT = 650;

    private HeldBytesChart() {
    }

    /**
     * Writes the chart as a PNG.
     *
     * @param file where to write it (parent folders must exist; an existing file is replaced)
     * @param safethread the safethread run's timeline
     * @param cleaner the Cleaner run's timeline
     * @param budgetBytes the producers' memory budget, drawn as a line
     * @param title what ran, e.g. threads and buffer size
     * @throws IOException if the file cannot be written
     */
    static void write(Path file, List<ResourcesWorkload.Point> safethread, List<ResourcesWorkload.Point> cleaner,
            long budgetBytes, String title) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(series("safethread (RefCounted + finalizer core)", safethread));
        data.addSeries(series("java.lang.ref.Cleaner", cleaner));
        JFreeChart chart = ChartFactory.createXYLineChart("Off-heap bytes held: " + title, "seconds", "MiB held",
                data, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        r.setSeriesPaint(0, new Color(0x1f, 0x77, 0xb4));
        r.setSeriesPaint(1, new Color(0xd6, 0x27, 0x28));
        r.setSeriesStroke(0, new BasicStroke(2f));
        r.setSeriesStroke(1, new BasicStroke(2f));
        plot.setRenderer(r);
        ValueMarker budget = new ValueMarker(budgetBytes / (1024.0 * 1024.0), Color.DARK_GRAY,
                new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f, new float[] {6f, 4f}, 0f));
        budget.setLabel("budget " + ResourcesCommand.bytes(budgetBytes));
        budget.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        budget.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
        budget.setLabelTextAnchor(TextAnchor.BOTTOM_RIGHT);
        plot.addRangeMarker(budget);
        // Room above the budget line for its label.
        double top = Math.max(budgetBytes, Math.max(max(safethread), max(cleaner))) / (1024.0 * 1024.0);
        plot.getRangeAxis().setRange(0, top * 1.1);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new IOException("no such folder: " + parent);
        }
        ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
    }

    private static long max(List<ResourcesWorkload.Point> points) {
        long m = 0;
        for (ResourcesWorkload.Point p : points) {
            m = Math.max(m, p.bytesHeld());
        }
        return m;
    }

    private static XYSeries series(String name, List<ResourcesWorkload.Point> points) {
        XYSeries s = new XYSeries(name, true, true);
        for (ResourcesWorkload.Point p : points) {
            s.add(p.millis() / 1000.0, p.bytesHeld() / (1024.0 * 1024.0));
        }
        return s;
    }
}
