package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 10 G: a thread's runtime state is released after the thread ends, whatever else the
 * runtime is doing (here: nothing — no finalization, no counted objects, so no housekeeper). In a
 * child JVM with a small heap, 200,000 platform threads (and, on JDK 21+, 1,000,000 virtual
 * threads) each make one monitor call and end. Without the fix the registry keeps every one
 * (about 900 bytes each: 180 MB, past the heap) and an empty collect() walks them all (about
 * 200 ms for 50,000).
 */
@Timeout(180)
class EndedThreadsTest {
    /** "A few MB": what the JVM itself may keep after 200,000 threads, far below ~900 bytes × 200,000. */
    private static final long MAX_RETAINED_BYTES = 4L << 20;
    /** Registered threads left after a collection (a prune point): the live threads, and a few ended ones at most. */
    private static final long MAX_REGISTERED = 1_000;
    /** Median empty collect(): its cost must not depend on how many threads have ended. */
    private static final long MAX_COLLECT_MICROS = 10_000;

    @Test
    void endedThreadsLeaveNothingBehind() throws Exception {
        int virtual = Runtime.version().feature() >= 21 ? 1_000_000 : 0;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                EndedThreadsMain.class.getName(), "200000", Integer.toString(virtual));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(150, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(value(out, "RETAINED_BYTES")).as(out).isLessThan(MAX_RETAINED_BYTES);
        assertThat(value(out, "REGISTERED")).as(out).isLessThan(MAX_REGISTERED);
        assertThat(value(out, "COLLECT_MICROS")).as(out).isLessThan(MAX_COLLECT_MICROS);
    }

    private static long value(String out, String key) {
        Matcher m = Pattern.compile(key + " (-?\\d+)").matcher(out);
        assertThat(m.find()).as("%s in %s", key, out).isTrue();
        return Long.parseLong(m.group(1));
    }
}
