package org.safethread.stress.soak;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import org.safethread.Branch;
import org.safethread.BranchException;
import org.safethread.CancelledException;
import org.safethread.DeadlockException;
import org.safethread.Monitor;
import org.safethread.SafeThread;
import org.safethread.Shareable;

/**
 * Branches (CONTRACT §6) under load and faults: rounds of children that succeed, fail, wait to be
 * cancelled in {@code Monitor.await}, clear their interrupt and catch their
 * {@link CancelledException} once, open nested branches (cancelled with them, or failing through
 * them); owners that cancel, return early (close without join), fork on a cancelled branch, or
 * join inside a monitor that their child needs (a deadlock through a join, broken by the
 * runtime). The fault thread interrupts the owners at random (an interrupted join cancels).
 *
 * <p>Checks, after every branch (the nested ones by the child that owns them):
 * {@code branch-accounting}: every child ended (none RUNNING) and its task ran at most once; a
 * child that ran to a return SUCCEEDED with that very value, one whose task threw a cancellation
 * signal ended CANCELLED, any other throw FAILED with that very object, one that never ran
 * CANCELLED; a waiting child of a cancelled branch never SUCCEEDED (the wait would have to time
 * out). {@code branch-failure}: what {@code join}/{@code close} threw is what the contract says
 * for the FAILED children, in fork order: nothing; the one failure itself (the first failure is
 * the one reported); a {@link BranchException} listing them; or, for an interrupted owner, a
 * cancelled owner, or a close without join, an {@code InterruptedException},
 * {@code CancelledException} or {@code IllegalStateException} carrying them as suppressed.
 * {@code branch-threads}: no child thread is alive once {@code join} or {@code close} has
 * returned or thrown. At the end, {@code stats}: {@code branchesOpened}, {@code childrenFailed}
 * and {@code childrenCancelled} deltas equal the workload's counts.
 */
final class Branches {
    /** A waiting child gives up after this long: far longer than any cancellation may take. */
    static final Duration WAIT_LIMIT = Duration.ofSeconds(60);

    enum Kind { QUICK, FAIL, WAIT, STUBBORN, NEST_CANCEL, NEST_FAIL }

    enum Round { FAIL_FAST, OWNER_CANCEL, NESTED_FAIL, ALL_QUICK, EARLY_CLOSE, CANCELLED_FORK, JOIN_DEADLOCK }

    /** What every child of one branch did, as its task saw it. Shareable: captured by the tasks. */
    @Shareable
    static final class Tally {
        final AtomicIntegerArray starts;
        final AtomicReferenceArray<Thread> threads;
        final AtomicReferenceArray<Throwable> thrown;
        final AtomicReferenceArray<Object> returned;

        Tally(int n) {
            starts = new AtomicIntegerArray(n);
            threads = new AtomicReferenceArray<>(n);
            thrown = new AtomicReferenceArray<>(n);
            returned = new AtomicReferenceArray<>(n);
        }
    }

    /** The soak's side of the books, shared with the children that own nested branches. */
    @Shareable
    static final class Books {
        final LongAdder opened = new LongAdder();
        final LongAdder forked = new LongAdder();
        final LongAdder succeeded = new LongAdder();
        final LongAdder failed = new LongAdder();
        final LongAdder cancelled = new LongAdder();
        final LongAdder nested = new LongAdder();
        final LongAdder joinDeadlocks = new LongAdder();
        final LongAdder interruptedJoins = new LongAdder();
        final LongAdder earlyCloses = new LongAdder();
        final LongAdder swallowedInterrupts = new LongAdder();
        final LongAdder caughtCancels = new LongAdder();
        final LongAdder rounds = new LongAdder();
        /** One-shot break switches (claimed once). */
        final AtomicBoolean ranTwice = new AtomicBoolean();
        final AtomicBoolean lostFailure = new AtomicBoolean();
        final AtomicBoolean escaped = new AtomicBoolean();
        final AtomicBoolean miscounted = new AtomicBoolean();
    }

    /** What {@link JoinBox#joinThroughAChild} saw; passed into the monitor, so shareable. */
    @Shareable
    static final class JoinOutcome {
        final Tally tally = new Tally(1);
        volatile Branch.Child<?> child;
        volatile Throwable thrown;
        volatile Throwable closeThrown;
    }

    /** A thread factory that records every thread it makes (the factory branches' children). */
    @Shareable
    static final class RecordingFactory implements ThreadFactory {
        final ConcurrentLinkedQueue<Thread> made = new ConcurrentLinkedQueue<>();

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "soak-branch-child");
            t.setDaemon(true);
            made.add(t);
            return t;
        }
    }

    /** The checks, shareable so that a child owning a nested branch runs them too. */
    @Shareable
    static final class Checker {
        final Violations violations;
        final Books books;
        final Set<Break> breaks;
        final Gate gate;

        Checker(Violations violations, Books books, Set<Break> breaks, Gate gate) {
            this.violations = violations;
            this.books = books;
            this.breaks = breaks;
            this.gate = gate;
        }

        /**
         * Checks one ended branch and books its children.
         *
         * @param what names the branch in messages
         * @param cancelled whether the branch was cancelled (failure, cancel, interrupted join)
         * @param kinds what each child was asked to do
         * @param children the children, in fork order
         * @param tally what the children's tasks did
         * @param thrown what join (or close) threw, or null
         * @param viaClose whether the body closed the branch without joining
         * @param threads the branch's child threads (made by its factory, or seen by the tasks)
         */
        void check(String what, boolean cancelled, Kind[] kinds, List<Branch.Child<?>> children, Tally tally,
                Throwable thrown, boolean viaClose, List<Thread> threads) {
            List<Throwable> failures = new ArrayList<>();
            for (int k = 0; k < children.size(); k++) {
                Branch.Child<?> c = children.get(k);
                Branch.Child.State s = c.state();
                books.forked.increment();
                switch (s) {
                    case SUCCEEDED: books.succeeded.increment(); break;
                    case FAILED: books.failed.increment(); failures.add(c.failure()); break;
                    case CANCELLED: books.cancelled.increment(); break;
                    default: break;
                }
                String child = what + " child " + k + " (" + kinds[k] + ")";
                int starts = tally.starts.get(k);
                Throwable threw = tally.thrown.get(k);
                Object value = tally.returned.get(k);
                if (s == Branch.Child.State.RUNNING) {
                    acc(child + " is still RUNNING after its branch ended");
                } else if (starts > 1) {
                    acc(child + "'s task ran " + starts + " times");
                } else if (starts == 0 && s != Branch.Child.State.CANCELLED) {
                    acc(child + " never ran but ended " + s);
                } else if (starts == 1 && threw == null && value == null && s != Branch.Child.State.CANCELLED) {
                    acc(child + " ran but neither returned nor threw, and ended " + s);
                } else if (value != null && (s != Branch.Child.State.SUCCEEDED || c.get() != value)) {
                    acc(child + " returned " + value + " but ended " + s
                            + (s == Branch.Child.State.SUCCEEDED ? " with " + c.get() : ""));
                } else if (threw != null && isCancellation(threw) && s != Branch.Child.State.CANCELLED) {
                    acc(child + " threw the cancellation signal " + threw + " but ended " + s);
                } else if (threw != null && !isCancellation(threw)
                        && (s != Branch.Child.State.FAILED || c.failure() != threw)) {
                    acc(child + " threw " + threw + " but ended " + s
                            + (s == Branch.Child.State.FAILED ? " with another failure object: " + c.failure() : ""));
                } else if (cancelled && (kinds[k] == Kind.WAIT || kinds[k] == Kind.STUBBORN)
                        && s == Branch.Child.State.SUCCEEDED) {
                    acc(child + " of a cancelled branch was never cancelled (its wait ran out)");
                }
            }
            checkReport(what, failures, thrown, viaClose);
            for (Thread t : threads) {
                if (t.isAlive()) {
                    violations.record("branch-threads", what + ": child thread " + t.getName() + " is alive after "
                            + (viaClose ? "close" : "join") + " returned or threw");
                }
            }
        }

        private void acc(String detail) {
            violations.record("branch-accounting", detail);
        }

        private void checkReport(String what, List<Throwable> failures, Throwable thrown, boolean viaClose) {
            String problem = null;
            if (viaClose) {
                if (!(thrown instanceof IllegalStateException) || !sameList(failures, thrown.getSuppressed())) {
                    problem = "close without join threw " + thrown + " (suppressed " + suppressed(thrown)
                            + "), expected IllegalStateException with the failures " + failures + " suppressed";
                }
            } else if (thrown instanceof InterruptedException || thrown instanceof CancelledException) {
                if (!sameList(failures, thrown.getSuppressed())) {
                    problem = "join threw " + thrown + " with suppressed " + suppressed(thrown) + ", expected the failures "
                            + failures;
                }
            } else if (failures.isEmpty()) {
                if (thrown != null) {
                    problem = "no child failed but join threw " + thrown;
                }
            } else if (failures.size() == 1) {
                if (thrown != failures.get(0)) {
                    problem = "one child failed with " + failures.get(0) + " but join threw "
                            + (thrown != null && thrown.equals(failures.get(0)) ? "another object " : "") + thrown;
                }
            } else if (!(thrown instanceof BranchException)
                    || !sameList(failures, ((BranchException) thrown).failures().toArray(new Throwable[0]))) {
                problem = failures.size() + " children failed (" + failures + ") but join threw " + thrown
                        + (thrown instanceof BranchException ? " listing " + ((BranchException) thrown).failures() : "");
            }
            if (problem != null) {
                violations.record("branch-failure", what + ": " + problem);
            }
        }

        private static String suppressed(Throwable t) {
            return t == null ? "[]" : List.of(t.getSuppressed()).toString();
        }

        private static boolean sameList(List<Throwable> expected, Throwable[] actual) {
            if (expected.size() != actual.length) {
                return false;
            }
            for (int i = 0; i < actual.length; i++) {
                if (expected.get(i) != actual[i]) {
                    return false;
                }
            }
            return true;
        }

        // ---- the children's bodies (they run in the child threads)

        Callable<Object> body(Kind kind, int k, Tally tally) {
            switch (kind) {
                case QUICK:
                    return () -> {
                        gate.touch();
                        return Integer.valueOf(k * 31 + 7);
                    };
                case FAIL:
                    return () -> {
                        Thread.sleep(ThreadLocalRandom.current().nextInt(3));
                        throw new IllegalStateException("soak: planned failure of child " + k);
                    };
                case WAIT:
                    return () -> gate.awaitCancel(WAIT_LIMIT) ? "condition held?" : "wait ran out";
                case STUBBORN:
                    return () -> stubborn();
                case NEST_CANCEL:
                    return () -> nested(false);
                case NEST_FAIL:
                    return () -> nested(true);
                default:
                    throw new AssertionError(kind);
            }
        }

        /**
         * Clears its interrupt every time, and catches its first {@link CancelledException}; the
         * runtime must interrupt it again and throw again at the next blocking point.
         */
        private Object stubborn() {
            long deadline = System.nanoTime() + WAIT_LIMIT.toNanos();
            int caught = 0;
            while (System.nanoTime() < deadline) {
                try {
                    Thread.sleep(20_000);
                } catch (InterruptedException e) {
                    books.swallowedInterrupts.increment();   // cleared: the branch must interrupt again
                }
                try {
                    SafeThread.checkpoint();
                } catch (CancelledException e) {
                    books.caughtCancels.increment();
                    if (++caught >= 2) {
                        throw e;
                    }
                }
            }
            return "never cancelled";
        }

        /** A child that owns a nested branch of waiting children (and, if {@code fail}, a failing one). */
        private Object nested(boolean fail) throws InterruptedException {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            int n = 1 + rnd.nextInt(3);
            Kind[] kinds = new Kind[n + (fail ? 1 : 0)];
            for (int i = 0; i < n; i++) {
                kinds[i] = rnd.nextBoolean() ? Kind.WAIT : Kind.STUBBORN;
            }
            if (fail) {
                kinds[n] = Kind.FAIL;
            }
            return runBranch("nested branch", kinds, rnd.nextBoolean(), false, false);
        }

        /**
         * Opens a branch, forks {@code kinds}, joins (or, if {@code early}, closes it without
         * joining), and checks it. Returns what join returned, or rethrows what it threw, as a
         * body does.
         */
        Object runBranch(String what, Kind[] kinds, boolean factory, boolean cancelFirst, boolean early)
                throws InterruptedException {
            RecordingFactory f = factory ? new RecordingFactory() : null;
            Tally tally = new Tally(kinds.length);
            List<Branch.Child<?>> children = new ArrayList<>(kinds.length);
            Throwable thrown = null;
            boolean cancelled;
            Branch b = factory ? Branch.open(f) : Branch.open();
            books.opened.increment();
            if (breaks.contains(Break.MISCOUNT_BRANCHES) && books.miscounted.compareAndSet(false, true)) {
                books.opened.increment();
            }
            try {
                if (cancelFirst) {
                    b.cancel();
                }
                for (int k = 0; k < kinds.length; k++) {
                    children.add(b.fork(wrap(tally, k, body(kinds[k], k, tally), this)));
                }
                if (early) {
                    b.close();   // returns early: cancels, waits, throws IllegalStateException
                } else {
                    b.join();
                }
            } catch (Throwable t) {
                thrown = t;
                if (breaks.contains(Break.BRANCH_LOSE_FAILURE) && !early && !(t instanceof InterruptedException)
                        && !(t instanceof CancelledException) && books.lostFailure.compareAndSet(false, true)) {
                    thrown = null;   // --break=branch-lose-failure: as if join had returned normally
                }
            } finally {
                cancelled = b.isCancelled();
                if (!early) {
                    try {
                        b.close();   // after join: nothing
                    } catch (Throwable t) {
                        violations.record("branch-failure", what + ": close after join threw " + t);
                    }
                }
            }
            List<Thread> threads = new ArrayList<>();
            if (f != null) {
                threads.addAll(f.made);
            }
            for (int k = 0; k < kinds.length; k++) {
                Thread t = tally.threads.get(k);
                if (t != null && (f == null || !threads.contains(t))) {
                    threads.add(t);
                }
            }
            if (cancelFirst && f != null && !f.made.isEmpty()) {
                violations.record("branch-accounting", what + ": fork on a cancelled branch started "
                        + f.made.size() + " thread(s)");
            }
            check(what, cancelled, kinds, children, tally, thrown, early, threads);
            if (thrown instanceof InterruptedException) {
                books.interruptedJoins.increment();
            }
            if (what.startsWith("nested")) {
                books.nested.increment();
            }
            if (thrown instanceof InterruptedException) {
                throw (InterruptedException) thrown;
            }
            if (thrown instanceof RuntimeException) {
                throw (RuntimeException) thrown;
            }
            if (thrown instanceof Error) {
                throw (Error) thrown;
            }
            if (thrown != null) {
                throw new IllegalStateException(thrown);
            }
            return "joined";
        }
    }

    /** The task around a body: records its run, thread, and return or throw. */
    static Callable<Object> wrap(Tally tally, int k, Callable<?> body) {
        return wrap(tally, k, body, null);
    }

    static Callable<Object> wrap(Tally tally, int k, Callable<?> body, Checker checker) {
        return () -> {
            tally.starts.incrementAndGet(k);
            Thread me = Thread.currentThread();
            if (checker != null && checker.breaks.contains(Break.BRANCH_RUN_TWICE)
                    && checker.books.ranTwice.compareAndSet(false, true)) {
                tally.starts.incrementAndGet(k);   // --break=branch-run-twice
            }
            if (checker != null && checker.breaks.contains(Break.BRANCH_ESCAPE_THREAD)
                    && checker.books.escaped.compareAndSet(false, true)) {
                // --break=branch-escape-thread: the child "is" a thread that outlives the branch
                me = new Thread(() -> sleep(3_000), "soak-escaped-child");
                me.setDaemon(true);
                me.start();
            }
            tally.threads.set(k, me);
            try {
                Object v = body.call();
                tally.returned.set(k, v);
                return v;
            } catch (Throwable t) {
                tally.thrown.set(k, t);
                throw t;
            }
        };
    }

    /** As the runtime classifies a child's throw in a cancelled branch (ChildRun.isCancellation). */
    static boolean isCancellation(Throwable t) {
        for (int i = 0; t != null && i < 16; i++, t = t.getCause()) {
            if (t instanceof CancelledException || t instanceof InterruptedException
                    || t instanceof java.io.InterruptedIOException
                    || t instanceof java.nio.channels.ClosedByInterruptException) {
                return true;
            }
        }
        return false;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    final Books books = new Books();
    private final Checker checker;
    private final Violations violations;

    Branches(Violations violations, Set<Break> breaks) {
        this.violations = violations;
        this.checker = new Checker(violations, books, breaks, Monitor.of(new Gate()));
    }

    List<Thread> workers(int n, AtomicBoolean stop) {
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(() -> work(stop), "soak-branches-" + i);
            t.setDaemon(true);
            ts.add(t);
        }
        return ts;
    }

    private void work(AtomicBoolean stop) {
        JoinBox box = Monitor.of(new JoinBox());
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        while (!stop.get()) {
            Round round = Round.values()[rnd.nextInt(Round.values().length)];
            books.rounds.increment();
            try {
                round(round, box, rnd);
            } catch (InterruptedException e) {
                // an interrupted join: checked in runBranch; the branch was cancelled and ended
            } catch (RuntimeException e) {
                // what join rethrew (checked in runBranch against the children)
            }
            Thread.interrupted();   // an interrupt that came after the join belongs to no branch
        }
    }

    private void round(Round round, JoinBox box, ThreadLocalRandom rnd) throws InterruptedException {
        boolean factory = rnd.nextBoolean();
        switch (round) {
            case FAIL_FAST: {
                Kind[] kinds = mix(rnd, 1 + rnd.nextInt(4), true);
                kinds[rnd.nextInt(kinds.length)] = Kind.FAIL;
                if (rnd.nextInt(4) == 0) {
                    kinds[rnd.nextInt(kinds.length)] = Kind.FAIL;   // maybe two: BranchException, fork order
                }
                ensure(kinds, Kind.FAIL, rnd);
                checker.runBranch("fail-fast branch", kinds, factory, false, false);
                break;
            }
            case OWNER_CANCEL: {
                Kind[] kinds = mix(rnd, 1 + rnd.nextInt(4), true);
                cancelRound(kinds, factory, rnd);
                break;
            }
            case NESTED_FAIL: {
                Kind[] kinds = mix(rnd, 1 + rnd.nextInt(3), false);
                kinds[rnd.nextInt(kinds.length)] = Kind.NEST_FAIL;
                checker.runBranch("nested-fail branch", kinds, factory, false, false);
                break;
            }
            case ALL_QUICK: {
                Kind[] kinds = new Kind[1 + rnd.nextInt(4)];
                java.util.Arrays.fill(kinds, Kind.QUICK);
                checker.runBranch("quick branch", kinds, factory, false, false);
                break;
            }
            case EARLY_CLOSE: {
                Kind[] kinds = mix(rnd, 1 + rnd.nextInt(4), true);
                checker.runBranch("early-close branch", kinds, factory, false, true);
                break;
            }
            case CANCELLED_FORK: {
                Kind[] kinds = mix(rnd, 1 + rnd.nextInt(3), true);
                checker.runBranch("cancelled-first branch", kinds, true, true, false);
                break;
            }
            case JOIN_DEADLOCK: {
                joinDeadlock(box);
                break;
            }
            default:
                throw new AssertionError(round);
        }
    }

    /** The owner forks waiting and quick children, then cancels; join returns normally. */
    private void cancelRound(Kind[] kinds, boolean factory, ThreadLocalRandom rnd) throws InterruptedException {
        RecordingFactory f = factory ? new RecordingFactory() : null;
        Tally tally = new Tally(kinds.length);
        List<Branch.Child<?>> children = new ArrayList<>();
        Throwable thrown = null;
        boolean cancelled;
        Branch b = factory ? Branch.open(f) : Branch.open();
        books.opened.increment();
        try (b) {
            for (int k = 0; k < kinds.length; k++) {
                children.add(b.fork(wrap(tally, k, checker.body(kinds[k], k, tally), checker)));
            }
            long until = System.nanoTime() + rnd.nextInt(2_000_000);
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            b.cancel();
            b.join();
        } catch (InterruptedException | RuntimeException e) {
            thrown = e;
        }
        cancelled = b.isCancelled();
        if (!cancelled) {
            violations.record("branch-accounting", "owner-cancel branch: isCancelled() is false after cancel()");
        }
        List<Thread> threads = new ArrayList<>();
        if (f != null) {
            threads.addAll(f.made);
        }
        for (int k = 0; k < kinds.length; k++) {
            Thread t = tally.threads.get(k);
            if (t != null && !threads.contains(t)) {
                threads.add(t);
            }
        }
        checker.check("owner-cancel branch", cancelled, kinds, children, tally, thrown, false, threads);
        if (thrown instanceof InterruptedException) {
            books.interruptedJoins.increment();
        }
    }

    /** The owner holds a monitor and joins a child that enters it: the child must be the victim. */
    private void joinDeadlock(JoinBox box) {
        JoinOutcome out = new JoinOutcome();
        box.joinThroughAChild(box, out);
        books.opened.increment();
        Branch.Child<?> c = out.child;
        if (out.closeThrown != null) {
            violations.record("branch-failure", "join-deadlock branch: open/fork/close threw " + out.closeThrown);
        }
        if (c == null) {
            return;
        }
        Throwable f = c.failure();
        if (f instanceof DeadlockException) {
            books.joinDeadlocks.increment();
        } else if (c.state() == Branch.Child.State.SUCCEEDED) {
            violations.record("branch-failure", "join-deadlock branch: the child entered the monitor its owner held "
                    + "while joining, and succeeded");
        }
        List<Thread> threads = new ArrayList<>();
        Thread t = out.tally.threads.get(0);
        if (t != null) {
            threads.add(t);
        }
        checker.check("join-deadlock branch", c.state() == Branch.Child.State.CANCELLED || out.thrown != null,
                new Kind[] {Kind.QUICK}, List.of(c), out.tally, out.thrown, false, threads);
    }

    private static Kind[] mix(ThreadLocalRandom rnd, int n, boolean nest) {
        Kind[] kinds = new Kind[n];
        for (int i = 0; i < n; i++) {
            int r = rnd.nextInt(nest ? 10 : 9);
            kinds[i] = r < 3 ? Kind.QUICK : r < 6 ? Kind.WAIT : r < 9 ? Kind.STUBBORN : Kind.NEST_CANCEL;
        }
        return kinds;
    }

    private static void ensure(Kind[] kinds, Kind kind, ThreadLocalRandom rnd) {
        for (Kind k : kinds) {
            if (k == kind) {
                return;
            }
        }
        kinds[rnd.nextInt(kinds.length)] = kind;
    }
}
