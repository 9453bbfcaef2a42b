package org.safethread.stress.soak;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * Hidden fault switches ({@code --break=NAME,...}) that make the workload itself wrong, so that
 * each of the soak's checks can be shown to fail: a check that cannot fail is not a check.
 * {@code run-soak.sh --self-test} runs each one and expects a non-zero exit and a violation of
 * {@link #check}.
 */
enum Break {
    /** One transfer deposits one unit less than it withdrew. */
    LOSE_MONEY("money"),
    /** One buffer's finalizer core returns at once: records nothing and frees nothing. */
    SKIP_FINALIZER("finalizers-once"),
    /** One buffer's finalizer core records its run twice. */
    DOUBLE_FINALIZER("finalizers-once"),
    /**
     * One buffer's last reference is kept forever and never released, so it never dies and its
     * bytes stay held.
     */
    LEAK_BUFFER("buffers-freed"),
    /**
     * A thread named {@code safethread-soak-fake} is started and ends, standing in for a runtime
     * thread that died (the real ones cannot be killed from outside: their user code is contained).
     */
    KILL_RUNTIME_THREAD("runtime-threads"),
    /**
     * Sets {@code safethread.deadlock.delay=3s} before the runtime starts, so that every deadlock
     * stays unbroken for 3 s (the detector's test hook; the runtime's default is to break at once).
     */
    SLOW_DEADLOCK_BREAKING("deadlock-progress"),
    /** The workload keeps 64 KiB of every 20th buffer's worth of garbage reachable forever. */
    LEAK_HEAP("heap-flat"),
    /** The workload counts one deadlock victim too many. */
    MISCOUNT_STATS("stats"),
    /** One branch child's task records its run twice. */
    BRANCH_RUN_TWICE("branch-accounting"),
    /** The owner of one branch whose join threw a failure records that join returned normally. */
    BRANCH_LOSE_FAILURE("branch-failure"),
    /**
     * One branch child records, as its thread, a thread it started that lives 3 s more (a child
     * that escapes its branch).
     */
    BRANCH_ESCAPE_THREAD("branch-threads"),
    /**
     * One two-buffer cycle is made but not counted: the collector kills two objects more than the
     * cycle members counted (the shape of issue 18's excess, which a bound would let pass).
     */
    UNCOUNTED_CYCLE("stats"),
    /** The workload counts one branch too many. */
    MISCOUNT_BRANCHES("stats"),
    /** The workload counts one SharedMap increment twice. */
    MAP_MISCOUNT("map-counts"),
    /** The workload counts one crossed computeIfAbsent victim twice. */
    MAP_DOUBLE_VICTIM("map-deadlock"),
    /** One transfer inside a monitor space deposits one unit less than it withdrew. */
    SPACE_LOSE_MONEY("space-money"),
    /** One counted WeakKeyMap key gets a reference that is never released, so it outlives its "last" release. */
    WEAK_KEEP_KEY("weak-dies"),
    /** One plain WeakKeyMap key is kept reachable for ever, so its entry never goes. */
    WEAK_HOLD_KEY("weak-empty");

    /** The check this switch must trip. */
    final String check;

    Break(String check) {
        this.check = check;
    }

    /** @return the switch's command-line name, e.g. {@code lose-money} */
    String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static Set<Break> parse(String list) {
        Set<Break> s = EnumSet.noneOf(Break.class);
        for (String part : list.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            Break found = null;
            for (Break b : values()) {
                if (b.cliName().equals(p)) {
                    found = b;
                }
            }
            if (found == null) {
                StringBuilder names = new StringBuilder();
                for (Break b : values()) {
                    names.append(' ').append(b.cliName());
                }
                throw new IllegalArgumentException("--break: unknown switch '" + p + "'; known:" + names);
            }
            s.add(found);
        }
        return s;
    }
}
