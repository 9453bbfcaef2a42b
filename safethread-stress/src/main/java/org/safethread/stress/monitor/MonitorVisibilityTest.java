package org.safethread.stress.monitor;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJ_Result;
import org.safethread.Monitor;
import org.safethread.MonitorMethod;

/**
 * Protocol: the happens-before edge of monitor exit to the next entry (the release CAS / hand-off
 * and the acquiring CAS; the owner fields written by the holder).
 *
 * <p>Actor 1 writes three plain fields in one monitor call ({@code a = 1}, a 64-bit {@code b},
 * {@code c = 3}); actor 2 reads all three in one call of the same monitor. r1 = a * 10 + c,
 * r2 = b.
 * <ul>
 *   <li>{@code 0, 0}: the reader ran first (ACCEPTABLE).</li>
 *   <li>{@code 13, -1}: the reader ran second and saw every write (ACCEPTABLE).</li>
 *   <li>anything else (a partial or torn view): a write of the previous call was not visible to
 *       the next caller (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "reader first: saw nothing")
@Outcome(id = "13, -1", expect = ACCEPTABLE, desc = "writer first: reader saw all of it")
@Outcome(expect = FORBIDDEN, desc = "a previous monitor call's writes were (partly) invisible")
@State
public class MonitorVisibilityTest {

    /** Plain fields written and read only inside the monitor. */
    public static class Box {
        private int a;
        private long b;
        private int c;

        @MonitorMethod
        public void write() {
            a = 1;
            b = -1L;
            c = 3;
        }

        /** Reads all three fields in one call. */
        @MonitorMethod
        public Snapshot read() {
            return new Snapshot(a * 10 + c, b);
        }
    }

    /** What a reader saw (a record of primitives: shareable). */
    public record Snapshot(int ac, long b) {
    }

    final Box box = Monitor.of(new Box());

    @Actor
    public void writer() {
        box.write();
    }

    @Actor
    public void reader(JJ_Result r) {
        Snapshot s = box.read();
        r.r1 = s.ac();
        r.r2 = s.b();
    }
}
