package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.safethread.MonitorTesting.start;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.MonitorTesting.Worker;

/**
 * Re-entry (CONTRACT §1, "Re-entry"): a monitor may call its own monitor methods directly; a
 * thread re-entering a monitor that it holds further out (A &rarr; B &rarr; A) gets a
 * {@link DeadlockException} at once, and A's state is untouched by the refused call.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MonitorReentryTest {

    static final ConcurrentLinkedQueue<Worker> PROBES = new ConcurrentLinkedQueue<>();

    @AfterEach
    void joinProbes() throws Throwable {
        Worker w;
        while ((w = PROBES.poll()) != null) {
            w.joinAndCheck();
        }
    }

    public interface Node {
        void setSelf(Node self);

        void setNext(Node next);

        /** Records a step, then calls {@code next.relay(depth - 1)}, or {@code next.mark()} at depth 0. */
        void relay(int depth);

        /** Changes this node's state: the call a refused re-entry must not run. */
        void mark();

        int marks();

        int relays();

        /** Calls next.relay, catching the DeadlockException, then proves it still holds its monitor. */
        String relayCatching(int depth);

        int recurse(int depth);

        int touch();
    }

    static final class NodeImpl implements Node {
        Node self;
        Node next;
        int marks;
        int relays;
        int touches;

        @Override
        public void setSelf(Node self) {
            this.self = self;
        }

        @Override
        public void setNext(Node next) {
            this.next = next;
        }

        @Override
        public void relay(int depth) {
            relays++;
            if (depth == 0) {
                next.mark();
            } else {
                next.relay(depth - 1);
            }
        }

        @Override
        public void mark() {
            marks++;
        }

        @Override
        public int marks() {
            return marks;
        }

        @Override
        public int relays() {
            return relays;
        }

        @Override
        public String relayCatching(int depth) {
            relays++;
            try {
                next.relay(depth);
                return "no exception";
            } catch (DeadlockException e) {
                return "caught, " + MonitorTesting.proveHeld(() -> self.touch(), PROBES);
            }
        }

        @Override
        public int recurse(int depth) {
            touches++;
            return depth == 0 ? touches : self.recurse(depth - 1);
        }

        @Override
        public int touch() {
            return ++touches;
        }
    }

    private static Node node() {
        Node n = Monitor.of(new NodeImpl(), Node.class);
        n.setSelf(n);
        return n;
    }

    public static class Recursive {
        private Recursive self;
        private int depthReached;

        @MonitorMethod
        public void setSelf(Recursive r) {
            self = r;
        }

        @MonitorMethod
        public int down(int depth) {
            depthReached = Math.max(depthReached, depth);
            return depth == 0 ? 0 : 1 + self.down(depth - 1);
        }

        @MonitorMethod
        public int failAt(int depth) {
            if (depth == 0) {
                throw new IllegalStateException("bottom");
            }
            try {
                return self.failAt(depth - 1);
            } catch (IllegalStateException e) {
                return depth; // caught one level up: the monitor is still held (depth restored)
            }
        }

        @MonitorMethod
        public int depthReached() {
            return depthReached;
        }
    }

    @Test
    void directSelfCallsReEnterTheInnermostMonitor() throws Throwable {
        Recursive r = Monitor.of(new Recursive());
        r.setSelf(r);
        assertThat(r.down(200)).isEqualTo(200);
        assertThat(r.failAt(5)).isEqualTo(1);
        // Every level exited: another thread can enter (bounded).
        start("after", () -> assertThat(r.depthReached()).isEqualTo(200)).joinAndCheck();

        Node n = node();
        assertThat(n.recurse(10)).isEqualTo(11);
        start("after-node", () -> n.touch()).joinAndCheck();
    }

    @Test
    void reEnteringAnOuterMonitorThrowsAtOnceAndLeavesItsStateUntouched() throws Throwable {
        Node a = node();
        Node b = node();
        a.setNext(b);
        b.setNext(a);
        // a.relay(1): a (held) -> b.relay(0) -> a.mark(): a is held further out.
        Thread me = Thread.currentThread();
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> a.relay(1));
        assertThat(thrown).isInstanceOf(DeadlockException.class);
        DeadlockException e = (DeadlockException) thrown;
        assertThat(a.marks()).as("the refused a.mark() did not run").isZero();
        assertThat(a.relays()).isEqualTo(1);
        assertThat(b.relays()).isEqualTo(1);
        assertThat(e.getMessage()).contains(a.toString()).contains(b.toString()).contains(me.getName());
        List<DeadlockException.Link> cycle = e.cycle();
        assertThat(cycle).hasSize(1);
        assertThat(cycle.get(0).threadName()).isEqualTo(me.getName());
        assertThat(cycle.get(0).threadId()).isEqualTo(MonitorTesting.id(me));
        assertThat(cycle.get(0).holds()).isEqualTo(a.toString());
        assertThat(cycle.get(0).waitsFor()).isEqualTo(a.toString());
        // Both monitors were released as the exception unwound.
        start("after", () -> {
            a.touch();
            b.touch();
        }).joinAndCheck();
    }

    @Test
    void longerChainsBackToAnOuterMonitorThrowToo() throws Throwable {
        Node a = node();
        Node b = node();
        Node c = node();
        a.setNext(b);
        b.setNext(c);
        c.setNext(a);
        assertThatThrownBy(() -> a.relay(2)).isInstanceOf(DeadlockException.class)
                .hasMessageContaining(a.toString());
        assertThat(a.marks()).isZero();
        // And into the middle of the chain: a -> b -> c -> b.
        c.setNext(b);
        assertThatThrownBy(() -> a.relay(2)).isInstanceOf(DeadlockException.class)
                .hasMessageContaining(b.toString());
        assertThat(b.marks()).isZero();
        start("after", () -> {
            a.touch();
            b.touch();
            c.touch();
        }).joinAndCheck();
    }

    @Test
    void aReEntryDeepInANestingNamesTheWholeChainAndEveryLevelUnwinds() throws Throwable {
        // 20 monitors nested (deeper than the monitor stack's first array), then back into the
        // 13th: the message lists the chain from it to the top, in order, and every level is
        // released as the exception unwinds.
        int n = 20;
        int back = 12;
        Node[] nodes = new Node[n];
        for (int i = 0; i < n; i++) {
            nodes[i] = node();
        }
        for (int i = 0; i < n - 1; i++) {
            nodes[i].setNext(nodes[i + 1]);
        }
        nodes[n - 1].setNext(nodes[back]);
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> nodes[0].relay(n - 1));
        assertThat(thrown).isInstanceOf(DeadlockException.class);
        StringBuilder chain = new StringBuilder();
        for (int i = back; i < n; i++) {
            chain.append(nodes[i]).append(" → ");
        }
        chain.append(nodes[back]);
        assertThat(thrown.getMessage()).contains("(" + chain + ")");
        assertThat(nodes[back].marks()).isZero();
        start("after", () -> {
            for (Node x : nodes) {
                x.touch();
            }
        }).joinAndCheck();
        // The same thread nests again from an empty stack: a re-entry one level down is direct.
        assertThat(nodes[n - 1].recurse(3)).isEqualTo(5); // touched once above, then 4 levels
    }

    @Test
    void theOuterCallCanCatchTheReEntryExceptionAndStillHoldsItsMonitor() {
        Node a = node();
        Node b = node();
        a.setNext(b);
        b.setNext(a);
        assertThat(a.relayCatching(0)).isEqualTo("caught, held");
        assertThat(a.marks()).isZero();
    }

    @Test
    void reEntryIsRefusedWithoutWaitingEvenWhenAnotherThreadWantsTheMonitor() throws Throwable {
        // While this thread is inside a -> b, another thread queues for a; the re-entry must still
        // be refused at once (not wait behind the queued thread, not hand a over).
        Node a = node();
        BlockingNode gate = new BlockingNode();
        Node b = Monitor.of(gate, Node.class);
        a.setNext(b);
        b.setNext(a);
        gate.self = b;
        Worker main = start("a-then-b", () -> a.relay(1));
        MonitorTesting.await(gate.entered);
        Worker queued = start("queued", () -> a.touch());
        MonitorTesting.awaitBlockedEntering(queued.thread);
        gate.release.countDown();
        Throwable t = main.joinAndGetFailure();
        assertThat(t).isInstanceOf(DeadlockException.class);
        queued.joinAndCheck();
        assertThat(a.marks()).isZero();
    }

    /** A node whose relay blocks on a latch before calling on. */
    static final class BlockingNode implements Node {
        final java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Node self;
        Node next;

        @Override
        public void setSelf(Node self) {
            this.self = self;
        }

        @Override
        public void setNext(Node next) {
            this.next = next;
        }

        @Override
        public void relay(int depth) {
            entered.countDown();
            MonitorTesting.await(release);
            next.mark();
        }

        @Override
        public void mark() {
        }

        @Override
        public int marks() {
            return 0;
        }

        @Override
        public int relays() {
            return 0;
        }

        @Override
        public String relayCatching(int depth) {
            return "";
        }

        @Override
        public int recurse(int depth) {
            return 0;
        }

        @Override
        public int touch() {
            return 0;
        }
    }
}
