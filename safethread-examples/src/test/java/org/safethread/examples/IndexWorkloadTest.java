package org.safethread.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class IndexWorkloadTest {
    private static final List<String> NAMES = List.of("alpha", "beta", "gamma", "Delta", "$dollar", "under_score",
            "x1", "var", "record", "value", "Map", "String", "héllo", "ünïcode");

    /** Generated sources and the identifier counts they must give (the generator's own model). */
    private record Corpus(Map<String, String> files, Map<String, Long> expected) {
    }

    /**
     * Files of random code whose identifiers come from {@link #NAMES}, mixed with keywords,
     * numbers, and decoys in comments, strings, text blocks and char literals that must not count.
     */
    private static Corpus corpus(int files, long seed) {
        Random rnd = new Random(seed);
        Map<String, String> out = new HashMap<>();
        Map<String, Long> expected = new HashMap<>();
        for (int f = 0; f < files; f++) {
            StringBuilder sb = new StringBuilder("package p;\n");
            expected.merge("p", 1L, Long::sum);
            int statements = 5 + rnd.nextInt(60) * (f % 17 == 0 ? 40 : 1);   // some much larger files
            for (int s = 0; s < statements; s++) {
                String id = NAMES.get(rnd.nextInt(NAMES.size()));
                expected.merge(id, 1L, Long::sum);
                switch (rnd.nextInt(7)) {
                    case 0 -> sb.append("public static final int ").append(id).append(" = 0x1F + 10_000L;\n");
                    case 1 -> sb.append("// decoy ").append("ghost").append(' ').append(id).append('\n')
                            .append(id).append("();\n");
                    case 2 -> sb.append("/* ghost\n * ghost */ return ").append(id).append(";\n");
                    case 3 -> {
                        sb.append("s = \"ghost \\\" ghost\" + ").append(id).append(";\n");
                        expected.merge("s", 1L, Long::sum);
                    }
                    case 4 -> {
                        sb.append("t = \"\"\"\n  ghost \"quoted\" ghost\n  \"\"\" + ").append(id)
                                .append(" + 'g' + '\\'';\n");
                        expected.merge("t", 1L, Long::sum);
                    }
                    case 5 -> sb.append("if (true) new ").append(id).append("(null, false, 1.5e-3);\n");
                    default -> sb.append('@').append(id).append('\n');
                }
            }
            out.put("p/sub" + (f % 5) + "/F" + f + ".java", sb.toString());
        }
        out.put("p/README.txt", "not java: ghost ghost\n");
        return new Corpus(out, expected);
    }

    private static Path writeDir(Path dir, Corpus c) throws IOException {
        for (Map.Entry<String, String> e : c.files().entrySet()) {
            Path p = dir.resolve(e.getKey());
            Files.createDirectories(p.getParent());
            Files.writeString(p, e.getValue(), StandardCharsets.UTF_8);
        }
        return dir;
    }

    private static Path writeZip(Path zip, Corpus c) throws IOException {
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
            z.putNextEntry(new ZipEntry("p/"));
            z.closeEntry();
            for (Map.Entry<String, String> e : c.files().entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                z.closeEntry();
            }
        }
        return zip;
    }

    private static IndexWorkload.ParallelResult parallel(IndexWorkload.Source src, int children, long failAfter)
            throws InterruptedException {
        return IndexWorkload.parallel(src, children, failAfter, p -> { }, Duration.ofMillis(100));
    }

    @Test
    void lexerFindsIdentifiersOnly() {
        String src = "package a.b; import java.util.List;\n"
                + "/** doc Ghost */ class Foo<T> extends Bar { // ghost\n"
                + "  int n = 0x1F + 1_000L + 1.5e-3; String s = \"ghost \\\" ghost\"; char c = '\\'';\n"
                + "  String t = \"\"\"\n ghost \"\"\"; var record = héllo; @Override void $m() { this.n = _x; }\n"
                + "}\n";
        List<String> ids = new ArrayList<>();
        JavaIdentifiers.forEach(src.getBytes(StandardCharsets.UTF_8), ids::add);
        assertThat(ids).containsExactly("a", "b", "java", "util", "List", "Foo", "T", "Bar", "n", "String", "s",
                "c", "String", "t", "var", "record", "héllo", "Override", "$m", "n", "_x");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void directoryParallelCountEqualsSingleThreadAndTheModel(@TempDir Path dir) throws Exception {
        Corpus c = corpus(300, 1);
        IndexWorkload.Source src = IndexWorkload.Source.of(writeDir(dir, c));
        assertThat(src.zip()).isFalse();
        assertThat(src.names()).hasSize(300).allSatisfy(n -> assertThat(n).endsWith(".java").doesNotContain("\\"));

        IndexWorkload.ParallelResult r = parallel(src, 3, 0);
        IndexWorkload.Count single = IndexWorkload.singleThread(src);

        assertThat(r.failure()).isNull();
        assertThat(r.children()).isEqualTo(3);
        assertThat(r.succeeded()).isEqualTo(3);
        assertThat(r.count().files()).isEqualTo(300);
        assertThat(r.count().bytes()).isEqualTo(src.totalBytes()).isEqualTo(single.bytes());
        assertThat(single.counts()).isEqualTo(c.expected());
        assertThat(r.count().counts()).isEqualTo(c.expected());
        assertThat(r.deadlocksBroken()).isZero();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void zipParallelCountEqualsSingleThreadAndTheModel(@TempDir Path dir) throws Exception {
        Corpus c = corpus(500, 2);
        IndexWorkload.Source src = IndexWorkload.Source.of(writeZip(dir.resolve("src.zip"), c));
        assertThat(src.zip()).isTrue();
        assertThat(src.names()).hasSize(500);
        for (int children : new int[] {1, 2, 7}) {
            IndexWorkload.ParallelResult r = parallel(src, children, 0);
            assertThat(r.failure()).isNull();
            assertThat(r.succeeded()).isEqualTo(children);
            assertThat(r.count().counts()).as("%d children", children).isEqualTo(c.expected());
        }
        assertThat(IndexWorkload.singleThread(src).counts()).isEqualTo(c.expected());
    }

    @Test
    void chunksAreBalancedBySizeAndCoverEveryFileOnce() {
        List<String> names = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        Random rnd = new Random(3);
        for (int i = 0; i < 1000; i++) {
            names.add("F" + i + ".java");
            sizes.add((long) (1 + rnd.nextInt(10_000)));
        }
        IndexWorkload.Source src = new IndexWorkload.Source(Path.of("x"), true, names, sizes);
        List<List<String>> chunks = IndexWorkload.chunks(src, 4);
        assertThat(chunks).hasSize(4);
        assertThat(chunks.stream().flatMap(List::stream).sorted().toList()).isEqualTo(names.stream().sorted().toList());
        long[] load = chunks.stream().mapToLong(ch -> ch.stream()
                .mapToLong(n -> sizes.get(names.indexOf(n))).sum()).toArray();
        long max = java.util.Arrays.stream(load).max().orElseThrow();
        long min = java.util.Arrays.stream(load).min().orElseThrow();
        assertThat(max - min).as("LPT: chunks differ by at most one file's size").isLessThanOrEqualTo(10_000);
        assertThat(IndexWorkload.chunks(src, 2000)).hasSize(2000).filteredOn(List::isEmpty).hasSize(1000);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void failAfterFailsOneChildAndCancelsItsSiblings(@TempDir Path dir) throws Exception {
        IndexWorkload.Source src = IndexWorkload.Source.of(writeZip(dir.resolve("src.zip"), corpus(2000, 4)));
        IndexWorkload.ParallelResult r = parallel(src, 4, 50);

        assertThat(r.failure()).contains("unreadable entry (simulated by --fail-after 50)").contains(".java: ");
        assertThat(r.failedChildren()).isEqualTo(1);
        assertThat(r.cancelled() + r.succeeded()).isEqualTo(3);
        assertThat(r.count().files()).isLessThan(2000);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aCorruptEntryIsTheFailureReported(@TempDir Path dir) throws Exception {
        Corpus c = corpus(400, 5);
        Path zip = writeZip(dir.resolve("src.zip"), c);
        // Make one entry's deflate data start with a reserved block type: reading it throws ZipException.
        String victim = "p/sub3/F333.java";
        byte[] bytes = Files.readAllBytes(zip);
        byte[] name = victim.getBytes(StandardCharsets.UTF_8);
        int at = indexOf(bytes, name);   // the local header's name; the data follows (no extra field)
        assertThat(at).isPositive();
        bytes[at + name.length] = (byte) 0xFF;
        Files.write(zip, bytes);
        IndexWorkload.Source src = IndexWorkload.Source.of(zip);

        IndexWorkload.ParallelResult r = parallel(src, 3, 0);

        assertThat(r.failure()).startsWith(victim + ": java.util.zip.ZipException");
        assertThat(r.failedChildren()).isEqualTo(1);
        assertThat(r.cancelled() + r.succeeded()).isEqualTo(2);
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void srcZipIsFoundInTheRunningJdkOrTheNewestBesideIt(@TempDir Path dir) throws Exception {
        Path jdk17 = Files.createDirectories(dir.resolve("java-17-openjdk-amd64/lib"));
        Path jdk21 = Files.createDirectories(dir.resolve("java-21-openjdk-amd64/lib"));
        Path jdk25 = Files.createDirectories(dir.resolve("temurin-25-jdk-amd64/lib"));
        Path home = jdk17.getParent();
        assertThat(IndexWorkload.findSrcZip(home)).isEmpty();
        touch(jdk21.resolve("src.zip"));
        assertThat(IndexWorkload.findSrcZip(home)).contains(jdk21.resolve("src.zip"));
        touch(jdk25.resolve("src.zip"));
        assertThat(IndexWorkload.findSrcZip(home)).contains(jdk25.resolve("src.zip"));
        touch(jdk17.resolve("src.zip"));
        assertThat(IndexWorkload.findSrcZip(home)).as("the running JDK's own first").contains(jdk17.resolve("src.zip"));
    }

    private static void touch(Path p) throws IOException {
        try (OutputStream o = Files.newOutputStream(p)) {
            o.write(0);
        }
    }
}
