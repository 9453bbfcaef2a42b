package org.safethread.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.internal.runtime.ThreadState;

/**
 * {@link MonitorStack#currentPolled()} with two live threads whose ids share a slot of the
 * by-thread table: its one compare (the table entry's state's fast-path key against the calling
 * thread) must send a thread that finds the other's stack in the slot to its own stack, and the
 * poll must be its own state's, never the entry's. A request pending on one of them is answered
 * by that thread's next entry, whoever's stack the slot held, and never by the other's.
 */
@Timeout(60)
class MonitorStackPolledTest {

    @Test
    void aCollidingThreadsEntryPollsItsOwnStateNeverTheSlotHolders() throws Exception {
        Thread me = Thread.currentThread();
        MonitorStack mine = MonitorStack.currentPolled(); // installs this thread's stack in the slot
        ThreadState myTs = mine.ts;
        CyclicBarrier turn = new CyclicBarrier(2);
        AtomicReference<MonitorStack> theirs = new AtomicReference<>();
        AtomicReference<String> failure = new AtomicReference<>();
        Thread other = collidingThread(me, () -> {
            try {
                ThreadState ts = ThreadState.current();
                // 1. The slot holds main's stack and main has a request pending: this thread's
                // entry gets its own stack and leaves main's request alone (main's thread polls it).
                turn.await(10, TimeUnit.SECONDS);
                MonitorStack s = MonitorStack.currentPolled();
                theirs.set(s);
                if (s.thread != Thread.currentThread() || s.ts != ts) {
                    failure.compareAndSet(null, "the colliding thread got " + s.thread + "'s stack");
                }
                if ((myTs.requests() & ThreadState.REQ_MERGE) == 0 || myTs.fastPathThreadOpaque() != null) {
                    failure.compareAndSet(null, "the colliding thread's entry polled main's state");
                }
                turn.await(10, TimeUnit.SECONDS);
                // 2. Main took the slot back; now this thread has a request pending: its entry
                // must find its own stack behind main's entry and poll it.
                turn.await(10, TimeUnit.SECONDS);
                if (MonitorStack.tableEntry(Thread.currentThread()) != mine) {
                    failure.compareAndSet(null, "main's stack was not in the shared slot");
                }
                if (ts.fastPathThreadOpaque() != null) {
                    failure.compareAndSet(null, "the request did not clear this thread's key");
                }
                MonitorStack again = MonitorStack.currentPolled();
                if (again != s) {
                    failure.compareAndSet(null, "the colliding thread's stack changed");
                }
                if ((ts.requests() & ThreadState.REQ_MERGE) != 0 || ts.fastPathThreadOpaque() != Thread.currentThread()) {
                    failure.compareAndSet(null, "the colliding thread's entry did not poll its own state "
                            + "(requests " + ts.requests() + ", key " + ts.fastPathThreadOpaque() + ")");
                }
                turn.await(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                failure.compareAndSet(null, e.toString());
            }
        });
        myTs.request(ThreadState.REQ_MERGE);
        assertThat(myTs.fastPathThreadOpaque()).isNull();
        other.start();
        turn.await(10, TimeUnit.SECONDS);
        turn.await(10, TimeUnit.SECONDS); // the other thread's entry ran
        assertThat(failure.get()).isNull();
        assertThat(MonitorStack.tableEntry(me)).as("the other thread took the shared slot").isSameAs(theirs.get());
        // Main's entry: the slot holds the other's stack, whose key is never this thread.
        assertThat(MonitorStack.currentPolled()).isSameAs(mine);
        assertThat(myTs.requests() & ThreadState.REQ_MERGE).as("main's entry answered its request").isZero();
        assertThat(myTs.fastPathThreadOpaque()).as("and restored its key").isSameAs(me);
        assertThat(MonitorStack.tableEntry(me)).isSameAs(mine);
        theirs.get().ts.request(ThreadState.REQ_MERGE);
        assertThat(myTs.fastPathThreadOpaque()).as("a request of the other thread leaves main's key").isSameAs(me);
        turn.await(10, TimeUnit.SECONDS);
        turn.await(10, TimeUnit.SECONDS);
        other.join(TimeUnit.SECONDS.toMillis(10));
        assertThat(failure.get()).isNull();
    }

    /** @return an unstarted thread running {@code body} whose table slot is {@code of}'s */
    private static Thread collidingThread(Thread of, Runnable body) {
        for (int i = 0; i < 10_000; i++) { // ids are handed out in sequence: one in 1,024 collides
            Thread t = new Thread(body, "monitor-stack-polled-colliding");
            if (MonitorStack.tableSlot(t) == MonitorStack.tableSlot(of)) {
                return t;
            }
        }
        throw new AssertionError("no thread id in 10,000 fell in slot " + MonitorStack.tableSlot(of));
    }
}
