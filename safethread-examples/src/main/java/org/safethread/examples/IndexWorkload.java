package org.safethread.examples;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.safethread.Branch;
import org.safethread.SafeThread;
import org.safethread.Shareable;
import org.safethread.SharedMap;

/**
 * The {@code index} demo's engine: counts the identifiers of Java source code in parallel with a
 * {@link Branch} and a {@link SharedMap}, and the same count in one thread to compare.
 *
 * <p>The source files (a zip such as the JDK's {@code lib/src.zip}, or a directory tree) are
 * split into as many chunks as there are children, balanced by size (largest file first into
 * the lightest chunk). The owner forks one child per chunk. A child opens its own reader (its
 * own {@link ZipFile}, so children do not share one file's lock), lexes each file with
 * {@link JavaIdentifiers}, counts in a map of its own, and adds its counts into the shared map
 * with {@link SharedMap#compute} every {@value #MERGE_EVERY} files (or 64 MiB) and at the end. Between files
 * it calls {@link SafeThread#checkpoint()}: when a sibling fails the branch is cancelled and the
 * child stops there with {@link org.safethread.CancelledException}. While the children run, the
 * owner polls their states and reports progress; then it joins, which rethrows the failure.
 */
public final class IndexWorkload {
    /**
     * Files a child counts on its own before adding its counts into the shared map. Each merge
     * costs one {@code compute} per distinct identifier of the batch (tens of thousands on the
     * JDK's sources), so merges are rare: 295,759 calls for the JDK 25 sources with two children,
     * against 555,134 when merging every 256 files or 4 MiB.
     */
    static final int MERGE_EVERY = 4096;
    /** Or bytes: the largest files come first in a chunk, so merge by size too. */
    static final long MERGE_BYTES = 64L << 20;

    /**
     * The Java files of a zip or a directory tree.
     *
     * @param path the zip or directory
     * @param zip whether it is a zip
     * @param names the {@code .java} files: zip entry names, or paths relative to the directory
     *     ({@code /}-separated), in sorted order
     * @param sizes each file's size in bytes (uncompressed), as {@code names}
     */
    public record Source(Path path, boolean zip, List<String> names, List<Long> sizes) {
        public Source {
            Objects.requireNonNull(path, "path");
            names = List.copyOf(names);
            sizes = List.copyOf(sizes);
        }

        /**
         * Lists the Java files of a zip or directory.
         *
         * @throws NoSuchFileException if {@code path} does not exist
         * @throws IOException if it cannot be read, or is a file that is not a zip
         */
        public static Source of(Path path) throws IOException {
            if (Files.isDirectory(path)) {
                List<Path> files;
                try (Stream<Path> s = Files.walk(path)) {
                    files = s.filter(p -> p.getFileName().toString().endsWith(".java") && Files.isRegularFile(p))
                            .sorted().toList();
                }
                List<String> names = new ArrayList<>();
                List<Long> sizes = new ArrayList<>();
                for (Path f : files) {
                    names.add(path.relativize(f).toString().replace(f.getFileSystem().getSeparator(), "/"));
                    sizes.add(Files.size(f));
                }
                return new Source(path, false, names, sizes);
            }
            if (!Files.exists(path)) {
                throw new NoSuchFileException(path.toString(), null, "no such file or directory");
            }
            List<? extends ZipEntry> entries;
            try (ZipFile z = new ZipFile(path.toFile())) {
                entries = z.stream().filter(e -> !e.isDirectory() && e.getName().endsWith(".java"))
                        .sorted(Comparator.comparing(ZipEntry::getName)).toList();
            }
            List<String> names = new ArrayList<>();
            List<Long> sizes = new ArrayList<>();
            for (ZipEntry e : entries) {
                names.add(e.getName());
                sizes.add(Math.max(0, e.getSize()));
            }
            return new Source(path, true, names, sizes);
        }

        /** @return the files' total size in bytes */
        public long totalBytes() {
            long t = 0;
            for (long s : sizes) {
                t += s;
            }
            return t;
        }
    }

    /** Reads files of a {@link Source}; one per thread. */
    private interface Reader extends Closeable {
        byte[] read(String name) throws IOException;

        static Reader open(Path path, boolean zip) throws IOException {
            if (!zip) {
                return name -> Files.readAllBytes(path.resolve(name));
            }
            ZipFile z = new ZipFile(path.toFile());
            return new Reader() {
                @Override
                public byte[] read(String name) throws IOException {
                    ZipEntry e = z.getEntry(name);
                    if (e == null) {
                        throw new NoSuchFileException(path + "!" + name, null, "entry gone from the zip");
                    }
                    try (InputStream in = z.getInputStream(e)) {
                        return in.readAllBytes();
                    }
                }

                @Override
                public void close() throws IOException {
                    z.close();
                }
            };
        }

        @Override
        default void close() throws IOException {
        }
    }

    /**
     * What the children tell the owner while they run: counters, and the first failure in time.
     * Shareable by contract: its fields are atomics.
     */
    @Shareable
    static final class Tally {
        final AtomicLong filesStarted = new AtomicLong();
        final AtomicLong files = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        final AtomicReference<String> firstFailure = new AtomicReference<>();
    }

    /**
     * One progress report.
     *
     * @param elapsed time since the children were forked
     * @param files files counted so far
     * @param bytes their bytes
     * @param distinct distinct identifiers in the shared map so far (its children merge now and then)
     */
    public record Progress(Duration elapsed, long files, long bytes, int distinct) {
    }

    /**
     * A count.
     *
     * @param counts occurrences per identifier
     * @param files files counted
     * @param bytes their bytes
     * @param elapsed how long it took
     * @param cpu CPU time the whole process used meanwhile (all its threads, JIT and GC included),
     *     or {@link Duration#ZERO} where the JVM cannot tell
     */
    public record Count(Map<String, Long> counts, long files, long bytes, Duration elapsed, Duration cpu) {
        public Count {
            counts = Map.copyOf(counts);
        }

        /** @return all occurrences */
        public long occurrences() {
            long t = 0;
            for (long v : counts.values()) {
                t += v;
            }
            return t;
        }

        public long filesPerSecond() {
            return files * 1_000_000_000L / Math.max(1, elapsed.toNanos());
        }

        public long bytesPerSecond() {
            return bytes * 1_000_000_000L / Math.max(1, elapsed.toNanos());
        }

        /**
         * @return processors' worth of CPU the process got on average ({@code cpu / elapsed}): on a
         *     shared machine, less than the threads asked for shows how much the load took away
         */
        public double cpusUsed() {
            return (double) cpu.toNanos() / Math.max(1, elapsed.toNanos());
        }

        /** @return the {@code k} most frequent identifiers, ties by name */
        public List<Map.Entry<String, Long>> top(int k) {
            return counts.entrySet().stream()
                    .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                    .limit(k).toList();
        }
    }

    /**
     * The parallel run's outcome.
     *
     * @param count what was counted (complete only when {@code failure} is null)
     * @param children children forked (one per chunk)
     * @param succeeded children that finished their chunk
     * @param cancelled children stopped by the cancellation
     * @param failedChildren children that failed
     * @param failure the first failure in time ("file: exception"), or null
     * @param deadlocksBroken deadlocks the runtime broke during the run ({@code SafeThread.stats()})
     */
    public record ParallelResult(Count count, int children, int succeeded, int cancelled, int failedChildren,
            String failure, long deadlocksBroken) {
    }

    private IndexWorkload() {
    }

    /**
     * Splits the files into {@code k} chunks of about equal bytes (longest-processing-time-first).
     *
     * @return {@code k} lists of file names (some empty when there are fewer files than chunks)
     */
    static List<List<String>> chunks(Source src, int k) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < src.names().size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.<Integer>comparingLong(i -> src.sizes().get(i)).reversed());
        List<List<String>> chunks = new ArrayList<>();
        long[] load = new long[k];
        for (int i = 0; i < k; i++) {
            chunks.add(new ArrayList<>());
        }
        for (int i : order) {
            int lightest = 0;
            for (int j = 1; j < k; j++) {
                if (load[j] < load[lightest]) {
                    lightest = j;
                }
            }
            chunks.get(lightest).add(src.names().get(i));
            load[lightest] += src.sizes().get(i);
        }
        List<List<String>> result = new ArrayList<>();
        for (List<String> c : chunks) {
            result.add(List.copyOf(c));
        }
        return result;
    }

    /**
     * Counts in parallel: one child of a {@link Branch} per chunk, counting into a {@link SharedMap}.
     *
     * @param src the files
     * @param children how many children (chunks)
     * @param failAfter if positive, the file after the first {@code failAfter} files fails as
     *     unreadable (to show a failure cancelling the siblings); 0 for none
     * @param progress called about every {@code period} on the calling thread while the children run
     * @param period how often to report progress
     * @return the outcome; a failure is reported in it, not thrown
     * @throws InterruptedException if the calling thread is interrupted while joining
     */
    public static ParallelResult parallel(Source src, int children, long failAfter, Consumer<Progress> progress,
            Duration period) throws InterruptedException {
        SharedMap<String, Long> counts = new SharedMap<>();
        Tally tally = new Tally();
        String path = src.path().toString();
        boolean zip = src.zip();
        long brokenBefore = SafeThread.stats().deadlocksBroken();
        long cpu0 = processCpuNanos();
        long start = System.nanoTime();
        List<Branch.Child<Long>> kids = new ArrayList<>();
        String failure = null;
        try (Branch branch = Branch.open()) {
            for (List<String> chunk : chunks(src, children)) {
                kids.add(branch.fork(() -> countChunk(path, zip, chunk, counts, tally, failAfter)));
            }
            long next = start + period.toNanos();
            while (kids.stream().anyMatch(c -> c.state() == Branch.Child.State.RUNNING)) {
                TimeUnit.MILLISECONDS.sleep(20);
                long now = System.nanoTime();
                if (now >= next) {
                    progress.accept(new Progress(Duration.ofNanos(now - start), tally.files.get(), tally.bytes.get(),
                            counts.size()));
                    next += period.toNanos();
                }
            }
            try {
                branch.join();
            } catch (RuntimeException e) {
                // One failure (a BranchException around a checked one), or several: report the first in time.
                failure = tally.firstFailure.get() != null ? tally.firstFailure.get() : e.toString();
            }
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        Duration cpu = Duration.ofNanos(Math.max(0, processCpuNanos() - cpu0));
        int ok = 0;
        int cancelled = 0;
        int failed = 0;
        for (Branch.Child<Long> c : kids) {
            switch (c.state()) {
                case SUCCEEDED -> ok++;
                case CANCELLED -> cancelled++;
                case FAILED -> failed++;
                default -> throw new IllegalStateException("child still running after join: " + c);
            }
        }
        Count count = new Count(counts.snapshot(), tally.files.get(), tally.bytes.get(), elapsed, cpu);
        return new ParallelResult(count, kids.size(), ok, cancelled, failed, failure,
                SafeThread.stats().deadlocksBroken() - brokenBefore);
    }

    /** A child's work: count its chunk's files, adding into the shared map now and then. */
    private static Long countChunk(String path, boolean zip, List<String> chunk, SharedMap<String, Long> counts,
            Tally tally, long failAfter) throws IOException {
        Map<String, long[]> local = new HashMap<>();
        long files = 0;
        long unmerged = 0;
        String current = null;
        try (Reader r = Reader.open(Path.of(path), zip)) {
            for (String name : chunk) {
                SafeThread.checkpoint();   // a sibling failed: stop here (CancelledException)
                current = name;
                long n = tally.filesStarted.incrementAndGet();
                if (failAfter > 0 && n == failAfter + 1) {
                    throw new IOException("unreadable entry (simulated by --fail-after " + failAfter + ")");
                }
                byte[] b = r.read(name);
                JavaIdentifiers.forEach(b, id -> local.computeIfAbsent(id, k -> new long[1])[0]++);
                tally.files.incrementAndGet();
                tally.bytes.addAndGet(b.length);
                unmerged += b.length;
                if (++files % MERGE_EVERY == 0 || unmerged >= MERGE_BYTES) {
                    merge(local, counts);
                    unmerged = 0;
                }
            }
            merge(local, counts);
        } catch (IOException | RuntimeException e) {
            SafeThread.checkpoint();   // cancelled meanwhile (e.g. an interrupted read): a cancellation, not a failure
            tally.firstFailure.compareAndSet(null, (current == null ? path : current) + ": " + e);
            throw e;
        }
        return files;
    }

    private static void merge(Map<String, long[]> local, SharedMap<String, Long> counts) {
        for (Map.Entry<String, long[]> e : local.entrySet()) {
            long add = e.getValue()[0];
            counts.compute(e.getKey(), (k, v) -> v == null ? add : v + add);
        }
        local.clear();
    }

    /**
     * Lexes the first files (up to {@code maxBytes}) once, untimed and uncounted, so that both
     * timed counts run the lexer compiled rather than interpreted.
     *
     * @return the bytes lexed
     * @throws IOException if a file cannot be read
     */
    public static long warmUp(Source src, long maxBytes) throws IOException {
        long bytes = 0;
        long[] sink = new long[1];
        try (Reader r = Reader.open(src.path(), src.zip())) {
            for (String name : src.names()) {
                if (bytes >= maxBytes) {
                    break;
                }
                byte[] b = r.read(name);
                bytes += b.length;
                JavaIdentifiers.forEach(b, id -> sink[0] += id.length());
            }
        }
        return bytes;
    }

    /**
     * The same count in the calling thread, with a plain {@link HashMap}: the reference the
     * parallel count must equal.
     *
     * @throws IOException if a file cannot be read
     */
    public static Count singleThread(Source src) throws IOException {
        Map<String, Long> counts = new HashMap<>();
        long bytes = 0;
        long cpu0 = processCpuNanos();
        long start = System.nanoTime();
        try (Reader r = Reader.open(src.path(), src.zip())) {
            for (String name : src.names()) {
                byte[] b = r.read(name);
                bytes += b.length;
                JavaIdentifiers.forEach(b, id -> counts.merge(id, 1L, Long::sum));
            }
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        return new Count(counts, src.names().size(), bytes, elapsed,
                Duration.ofNanos(Math.max(0, processCpuNanos() - cpu0)));
    }

    /** @return the process's CPU time in nanoseconds, or 0 where the JVM does not say */
    static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return Math.max(0, sun.getProcessCpuTime());
        }
        return 0;
    }

    /**
     * Where {@code index} looks with no PATH: the running JDK's {@code lib/src.zip}; else the
     * newest {@code lib/src.zip} of another JDK in the same folder as the running one (Debian's
     * JDK 17 ships it only in its {@code openjdk-17-source} package).
     *
     * @param javaHome the running JDK ({@code java.home})
     * @return the zip found, or empty
     */
    static Optional<Path> findSrcZip(Path javaHome) throws IOException {
        Path own = javaHome.resolve("lib").resolve("src.zip");
        if (Files.isRegularFile(own)) {
            return Optional.of(own);
        }
        Path jvms = javaHome.toAbsolutePath().normalize().getParent();
        if (jvms == null || !Files.isDirectory(jvms)) {
            return Optional.empty();
        }
        try (Stream<Path> s = Files.list(jvms)) {
            return s.map(d -> d.resolve("lib").resolve("src.zip")).filter(Files::isRegularFile)
                    .max(Comparator.comparingInt(IndexWorkload::featureVersion)
                            .thenComparing(Path::toString));
        }
    }

    /** @return the first number in the JDK folder's name ({@code temurin-25-jdk-amd64} → 25), or 0 */
    static int featureVersion(Path srcZip) {
        String dir = srcZip.getParent().getParent().getFileName().toString();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)").matcher(dir);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }
}
