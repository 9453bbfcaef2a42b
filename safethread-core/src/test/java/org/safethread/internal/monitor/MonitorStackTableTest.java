package org.safethread.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.internal.runtime.ThreadRegistry;
import org.safethread.internal.runtime.ThreadState;

/** The by-thread table in front of the monitor stack's slot ({@link MonitorStack#current()}). */
@Timeout(60)
class MonitorStackTableTest {

    @Test
    void currentIsTheThreadsOwnStableStackAndIsCachedInItsSlot() throws Exception {
        AtomicReference<String> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            MonitorStack first = MonitorStack.current();
            if (first.thread != Thread.currentThread() || first.ts != ThreadState.current()) {
                failure.set("the stack names " + first.thread + ", not the calling thread");
            } else if (MonitorStack.tableEntry(Thread.currentThread()) != first) {
                failure.set("the first lookup did not install the stack in the thread's slot");
            } else if (MonitorStack.current() != first) {
                failure.set("a second lookup returned another stack");
            }
        });
        t.start();
        t.join();
        assertThat(failure.get()).isNull();
    }

    /**
     * Two live threads whose ids fall in the same slot take turns in it, each always getting its
     * own stack (the identity check), and the same stack as before after the other took the slot
     * (the slot path behind the table). Without the identity check the second thread would get
     * the first one's stack.
     */
    @Test
    void threadsWhoseSlotsCollideEachGetTheirOwnStack() throws Exception {
        Thread me = Thread.currentThread();
        MonitorStack mine = MonitorStack.current();
        CyclicBarrier turn = new CyclicBarrier(2);
        AtomicReference<MonitorStack> theirs = new AtomicReference<>();
        AtomicReference<String> failure = new AtomicReference<>();
        Thread other = collidingThread(me, () -> {
            try {
                for (int round = 0; round < 50; round++) {
                    turn.await(); // main has just looked itself up: the slot holds main's stack
                    MonitorStack s = MonitorStack.current();
                    if (s.thread != Thread.currentThread()) {
                        failure.compareAndSet(null, "the colliding thread got " + s.thread + "'s stack");
                    }
                    theirs.compareAndSet(null, s);
                    if (theirs.get() != s) {
                        failure.compareAndSet(null, "the colliding thread's stack changed");
                    }
                    turn.await();
                }
            } catch (InterruptedException | BrokenBarrierException e) {
                failure.compareAndSet(null, e.toString());
            }
        });
        other.start();
        for (int round = 0; round < 50; round++) {
            assertThat(MonitorStack.current()).isSameAs(mine);
            assertThat(MonitorStack.tableEntry(me)).isSameAs(mine);
            turn.await();
            turn.await(); // the other thread has taken the slot
            assertThat(MonitorStack.tableEntry(me)).isSameAs(theirs.get());
        }
        other.join();
        assertThat(failure.get()).isNull();
        assertThat(theirs.get()).isNotSameAs(mine);
        assertThat(MonitorStack.current()).isSameAs(mine);
    }

    @Test
    void forgettingAnEndedThreadClearsItsEntry() throws Exception {
        AtomicReference<MonitorStack> stack = new AtomicReference<>();
        Thread t = new Thread(() -> stack.set(MonitorStack.current()));
        t.start();
        t.join(); // ended: isAlive() is false, so a prune may forget it
        assertThat(MonitorStack.tableEntry(t)).isSameAs(stack.get());
        for (int i = 0; i < 100 && ThreadRegistry.stateOf(t) != null; i++) {
            if (!ThreadRegistry.pruneEndedNow()) {
                Thread.sleep(10); // another prune was running
            }
        }
        assertThat(ThreadRegistry.stateOf(t)).as("the registry forgot the ended thread").isNull();
        assertThat(MonitorStack.tableEntry(t)).as("the table no longer keeps its stack reachable")
                .isNotSameAs(stack.get());
    }

    @Test
    void forgettingLeavesAnotherThreadsEntryInPlace() throws Exception {
        AtomicReference<MonitorStack> ended = new AtomicReference<>();
        Thread t = collidingThread(Thread.currentThread(), () -> ended.set(MonitorStack.current()));
        t.start();
        t.join();
        MonitorStack mine = MonitorStack.current(); // takes the shared slot back
        ended.get().forgotten();
        assertThat(MonitorStack.tableEntry(Thread.currentThread())).isSameAs(mine);
    }

    /** @return an unstarted thread running {@code body} whose table slot is {@code of}'s */
    private static Thread collidingThread(Thread of, Runnable body) {
        for (int i = 0; i < 10_000; i++) { // ids are handed out in sequence: one in 1,024 collides
            Thread t = new Thread(body);
            if (MonitorStack.tableSlot(t) == MonitorStack.tableSlot(of)) {
                return t;
            }
        }
        throw new AssertionError("no thread id in 10,000 fell in slot " + MonitorStack.tableSlot(of));
    }
}
