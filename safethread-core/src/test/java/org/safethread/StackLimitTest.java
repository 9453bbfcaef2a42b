package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Library calls made with almost no stack left (deep user recursion that catches its
 * {@code StackOverflowError} and goes on, as a parser or interpreter does): a call that overflows
 * must leave the library's state whole — either it happened or it did not — and never a monitor
 * held, a key pending or a count off for ever.
 *
 * <p>Each test recurses until the stack overflows, then makes the call in the handler of every
 * frame on the way back up, so the call is tried at every stack depth near the limit, among them
 * the ones where it overflows half-way through the library's own bookkeeping.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class StackLimitTest {
    private static final int ROUNDS = 64;

    /** An operation tried near the stack limit. */
    @FunctionalInterface
    interface Op {
        void run();
    }

    /** Recurses to the limit, then runs {@code op} in the handler of each frame on the way up. */
    private static void atTheLimit(Op op, int[] depth) {
        depth[0]++;
        try {
            atTheLimit(op, depth);
        } catch (StackOverflowError e) {
            op.run();
        }
    }

    /**
     * Runs {@code op} once at a normal depth (so every class it uses is initialised: a class whose
     * initialiser overflows stays unusable for the JVM's lifetime, whatever library it is in),
     * then at every depth near the limit, {@link #ROUNDS} times.
     */
    private static void tryAtTheLimit(Op op) {
        tryAtTheLimit(op, ROUNDS);
    }

    private static void tryAtTheLimit(Op op, int rounds) {
        op.run();
        for (int i = 0; i < rounds; i++) {
            try {
                padded(i % 16, 0L, 0L, 0L, op);
            } catch (StackOverflowError e) {
                // the op overflowed at every depth up to the top: fine, the state is checked after
            }
        }
    }

    /**
     * {@code pads} frames of another size before {@link #atTheLimit}: each round's calls are made
     * at other offsets from the limit than the last round's, so that the op also overflows at the
     * depths that fall between two of {@code atTheLimit}'s frames.
     */
    private static long padded(int pads, long a, long b, long c, Op op) {
        if (pads > 0) {
            return padded(pads - 1, a + 1, b ^ a, c + b, op) + 1;
        }
        atTheLimit(op, new int[1]);
        return a + b + c;
    }

    private static <T> T onAnotherThread(java.util.concurrent.Callable<T> c) throws Exception {
        FutureTask<T> f = new FutureTask<>(c);
        Thread t = new Thread(f, "other");
        t.setDaemon(true);
        t.start();
        return f.get(10, TimeUnit.SECONDS);
    }

    static final class Node extends RefCounted {
        final Ref<Node> next = new Ref<>();
    }

    @Test
    void countsStayExactWhenIncrefAndDecrefOverflow() {
        Node n = new Node();
        long[] net = new long[1];
        tryAtTheLimit(() -> {
            try {
                n.incref();
                net[0]++;
            } catch (StackOverflowError e) {
                // did not happen: not counted
            }
            try {
                n.decref();
                net[0]--;
            } catch (StackOverflowError e) {
                // did not happen: not counted
            }
        });
        assertThat(n.refCount()).isEqualTo(1 + net[0]);
        for (long i = 0; i < net[0]; i++) {
            n.decref();
        }
        n.decref();
        assertThat(n.isAlive()).isFalse();
    }

    @Test
    @Disabled("found, not fixed (design): Ref.set takes the new reference, swaps the slot, then releases "
            + "the old one; a StackOverflowError in the swap or in the old value's decref loses that "
            + "reference (a leak: the object never dies, and is reported as a leak only when the JVM "
            + "collects it). Undoing at the same depth covers the swap; the old value's release cannot be "
            + "undone and would have to be handed to a runtime thread")
    void refSetThatOverflowsLeavesTheCountsExact() {
        Node holder = new Node();
        Node a = new Node();
        Node b = new Node();
        tryAtTheLimit(() -> holder.next.set(holder.next.get() == a ? b : a));
        Node held = holder.next.get();
        Node other = held == a ? b : a;
        assertThat(held.refCount()).isEqualTo(2);
        assertThat(other.refCount()).isEqualTo(1);
        holder.decref();
        a.decref();
        b.decref();
        assertThat(a.isAlive() || b.isAlive()).isFalse();
    }

    /**
     * A fork whose launch overflows is a child that could not start: FAILED with the error (which
     * {@code join} then reports, a {@code VirtualMachineError} winning), never a child that
     * {@code join} waits for in vain or that is still running after it.
     */
    @Test
    void aBranchForkThatOverflowsLeavesTheBranchJoinable() throws Exception {
        for (int i = 0; i < 1; i++) {
            Branch.Child<?>[] slots = new Branch.Child<?>[4 * ROUNDS + 1];
            int[] n = new int[1];
            Throwable reported;
            try (Branch b = Branch.open()) {
                // fewer rounds: each fork near the limit overflows in its stack check, hundreds of
                // frames up (a StackOverflowError's stack trace is a thousand frames to fill in)
                tryAtTheLimit(() -> {
                    Branch.Child<?> c = b.fork(ONE);
                    slots[n[0]] = c; // array stores: no call that could overflow after the fork returned
                    n[0]++;
                }, 16);
                reported = org.assertj.core.api.Assertions.catchThrowable(b::join);
            }
            List<Branch.Child<?>> forked = java.util.Arrays.asList(slots).subList(0, n[0]);
            boolean anyFailed = false;
            for (Branch.Child<?> c : forked) {
                assertThat(c.state()).isNotEqualTo(Branch.Child.State.RUNNING);
                if (c.state() == Branch.Child.State.FAILED) {
                    anyFailed = true;
                    assertThat(c.failure()).isInstanceOf(StackOverflowError.class);
                }
            }
            if (anyFailed) {
                assertThat(reported).isInstanceOf(StackOverflowError.class);
            } else if (reported != null) {
                // a fork that threw to its caller after its child was recorded FAILED (the error
                // struck again in the handler): reported once more by join, never lost or hung
                assertThat(reported).isInstanceOf(StackOverflowError.class);
            }
        }
    }

    private static final java.util.concurrent.Callable<Integer> ONE = () -> 1;

    public static class Counter {
        private int n;

        @MonitorMethod
        public int bump() {
            return ++n;
        }
    }

    @Test
    @Disabled("fault in the monitor files the lead is changing (ProxySupport.exit): a StackOverflowError "
            + "thrown inside exit after s.pop() and before m.unlock() (the unlock's VarHandle CAS and wake-up "
            + "need frames of their own) leaves the lock owned by this thread with the monitor no longer on "
            + "its stack: the thread's next call is refused as a re-entry 'held further out', and every other "
            + "thread blocks on the monitor for ever (no cycle: deadlock detection cannot help). Same shape in "
            + "enter (after tryEnter, before push). The JDK protects ReentrantLock with @ReservedStackAccess "
            + "(JEP 270), which user code cannot use: the exit must not be able to fail half-way, e.g. catch "
            + "the error in exit, record the owed release on the MonitorStack (a field write), rethrow, and "
            + "complete it at the next exit or runtime call further up the stack")
    void aMonitorCallThatOverflowsLeavesTheMonitorFree() throws Exception {
        Counter c = Monitor.of(new Counter());
        tryAtTheLimit(c::bump);
        assertThat(c.bump()).isPositive(); // not refused as a re-entry of a monitor "held further out"
        assertThat(onAnotherThread(c::bump)).isPositive(); // not held for ever
    }

    private static final Function<Integer, Integer> SAME = k -> k;

    @Test
    void aComputeIfAbsentThatOverflowsLeavesNoKeyPending() throws Exception {
        SharedMap<Integer, Integer> m = new SharedMap<>();
        int[] i = new int[1];
        tryAtTheLimit(() -> m.computeIfAbsent(i[0]++ % 7, SAME));
        for (int k = 0; k < 7; k++) {
            assertThat(m.computeIfAbsent(k, SAME)).isEqualTo(k);
        }
        assertThat(onAnotherThread(() -> {
            for (int k = 0; k < 7; k++) {
                m.computeIfAbsent(k, SAME);
            }
            return m.size();
        })).isEqualTo(7);
    }

    @Test
    void sharedMapWritesThatOverflowLeaveTheMapConsistent() throws Exception {
        SharedMap<Integer, Integer> m = new SharedMap<>();
        int[] i = new int[1];
        tryAtTheLimit(() -> {
            int k = i[0]++ % 5;
            m.put(k, k);
            m.remove(k, k);
            m.putIfAbsent(k, k);
        });
        for (int k = 0; k < 5; k++) {
            m.put(k, k);
        }
        assertThat(m.snapshot()).hasSize(5);
        assertThat(onAnotherThread(() -> m.compute(3, (k, v) -> v + 1))).isEqualTo(4);
    }

    @Test
    void weakKeyMapWritesThatOverflowLeaveTheMapConsistent() {
        WeakKeyMap<Node, String> w = new WeakKeyMap<>();
        Node k = new Node();
        tryAtTheLimit(() -> {
            w.put(k, "v");
            w.remove(k);
        });
        w.put(k, "v");
        assertThat(w.size()).isEqualTo(1);
        k.decref();
        assertThat(w.size()).isZero();
    }

    @Shareable
    static final class CountingCore {
        static final java.util.concurrent.atomic.AtomicInteger RUNS = new java.util.concurrent.atomic.AtomicInteger();

        @Finalize
        void run() {
            RUNS.incrementAndGet();
        }
    }

    static final class Res extends RefCounted {
        @FinalizerCore final CountingCore core = new CountingCore();
        final Ref<Node> child = new Ref<>();
    }

    @Test
    @Disabled("found, not fixed (design): a death is processed by the thread whose decref set DEAD "
            + "(Deaths.die: pop from the thread's DeathWork, clear the Ref fields, close the bindings, "
            + "queue the core). A StackOverflowError anywhere after the DEAD CAS loses the rest of that "
            + "object's death: its Ref fields stay set (what they hold never dies), its WeakKeyMap entries "
            + "stay, and its core may never be queued (CONTRACT section 2 and 3). A fix needs the death to be "
            + "recorded before the CAS without a call (a field of the thread's state), resumable steps, "
            + "and a runtime thread that finishes what the overflowing thread could not")
    void deathsThatOverflowStillFinalizeEveryObjectOnceAndReleaseItsRefs() throws Exception {
        List<Res> all = new ArrayList<>();
        List<Node> children = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            Res r = new Res();
            Node c = new Node();
            r.child.set(c);
            c.decref();
            all.add(r);
            children.add(c);
        }
        new Res().decref(); // warm up the finalizer classes at a normal depth
        assertThat(SafeThread.awaitFinalizers(java.time.Duration.ofSeconds(10))).isTrue();
        int before = CountingCore.RUNS.get();
        int[] next = new int[1];
        long[] failed = new long[1];
        tryAtTheLimit(() -> {
            if (next[0] < all.size()) {
                Res r = all.get(next[0]);
                try {
                    r.decref();
                    next[0]++;
                } catch (StackOverflowError e) {
                    if (!r.isAlive()) {
                        next[0]++; // died, though the decref threw
                    }
                    failed[0]++;
                    throw e;
                }
            }
        });
        while (next[0] < all.size()) {
            all.get(next[0]++).decref();
        }
        assertThat(SafeThread.awaitFinalizers(java.time.Duration.ofSeconds(10))).isTrue();
        for (Res r : all) {
            assertThat(r.isAlive()).isFalse();
        }
        for (Node c : children) {
            assertThat(c.isAlive()).as("child of a dead Res").isFalse();
        }
        assertThat(CountingCore.RUNS.get() - before).as("finalized once each; decrefs that overflowed: " + failed[0])
                .isEqualTo(all.size());
    }
}
