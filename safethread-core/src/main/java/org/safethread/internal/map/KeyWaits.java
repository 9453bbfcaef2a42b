package org.safethread.internal.map;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.safethread.DeadlockException;
import org.safethread.internal.runtime.Counters;
import org.safethread.internal.runtime.ThreadState;

/**
 * Waiting for a pending key (INTERIM: a wait-for graph over pending-key waits only; replaced by
 * the generalized graph's {@code WaitForGraph.await} once it lands, so that cycles mixing key
 * waits, monitor entries and branch joins are found too).
 */
final class KeyWaits {
    private static final ReentrantLock LOCK = new ReentrantLock();
    /** Thread → the marker it waits for. Guarded by LOCK. */
    private static final Map<ThreadState, PendingKey> WAITING = new HashMap<>();

    private KeyWaits() {
    }

    /**
     * Waits until {@code p} is resolved.
     *
     * @throws DeadlockException if this wait closes a cycle (it is then not waiting)
     */
    static void await(PendingKey p, ThreadState ts) {
        PendingKey.Node node = p.addWaiter();
        if (node == null) {
            return;
        }
        LOCK.lock();
        try {
            List<ThreadState> threads = new ArrayList<>();
            List<PendingKey> keys = new ArrayList<>();
            PendingKey cur = p;
            ThreadState at = ts;
            for (int i = 0; i <= WAITING.size(); i++) {
                if (cur.isDone()) {
                    break;
                }
                threads.add(at);
                keys.add(cur);
                ThreadState holder = cur.owner;
                if (holder == ts) {
                    if (!p.isDone()) { // the last re-try before declaring
                        node.leave();
                        throw DeadlockMessages.keyCycle(threads, keys);
                    }
                    break;
                }
                PendingKey next = WAITING.get(holder);
                if (next == null) {
                    break; // the holder runs
                }
                at = holder;
                cur = next;
            }
            WAITING.put(ts, p);
        } finally {
            LOCK.unlock();
        }
        boolean interrupted = false;
        ts.detach();
        try {
            while (!p.isDone()) {
                LockSupport.park(p);
                if (Thread.interrupted()) {
                    interrupted = true; // not interruptible (as a monitor entry); keep the status
                }
            }
        } finally {
            ts.attach();
            LOCK.lock();
            try {
                WAITING.remove(ts);
            } finally {
                LOCK.unlock();
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Messages and exceptions for key deadlocks. */
    static final class DeadlockMessages {
        private DeadlockMessages() {
        }

        static DeadlockException keyCycle(List<ThreadState> threads, List<PendingKey> keys) {
            Counters.DEADLOCKS_BROKEN.increment();
            int n = threads.size();
            StringBuilder b = new StringBuilder("Deadlock between ").append(n).append(n == 1 ? " thread: " : " threads: ");
            List<DeadlockException.Link> links = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String t = label(threads.get(i).thread);
                String holds = keys.get((i + n - 1) % n).keyName();
                String waits = keys.get(i).keyName();
                b.append(i == 0 ? "" : ", which ").append(i == 0 ? t + " computes " + holds + " and waits for " : "waits for ")
                        .append(waits).append(", computed by ").append(label(keys.get(i).owner.thread));
                links.add(new DeadlockException.Link(threads.get(i).thread.getName(), id(threads.get(i).thread), holds, waits));
            }
            b.append(". Victim: ").append(label(threads.get(0).thread)).append(" (its computeIfAbsent of ")
                    .append(keys.get(0).keyName()).append(" is refused; retry the operation)");
            return new DeadlockException(b.toString(), links);
        }

        private static String label(Thread t) {
            return t.getName().isEmpty() ? "#" + id(t) : t.getName();
        }

        @SuppressWarnings("deprecation")
        private static long id(Thread t) {
            return t.getId();
        }
    }
}
