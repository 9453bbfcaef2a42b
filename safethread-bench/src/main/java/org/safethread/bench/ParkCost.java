package org.safethread.bench;

import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * A diagnostic, not a JMH benchmark: what one {@code LockSupport.park} and the {@code unpark}
 * that ends it cost on this machine, the price every blocking lock pays for each wait that
 * does not end by spinning (both {@code ReentrantLock} and a monitor park when they must). Two
 * threads hand a turn back and forth, each parking until the other unparks it: the time per
 * round trip is two wake-ups, each a futex wake of a sleeping thread and its rescheduling.
 *
 * <p>On the 2-vCPU development VM this was 37-41 µs per round trip (docs/performance.md, "Issue 13,
 * session 6"); on bare metal a few microseconds is usual. Where it is large, a contended design
 * that parks a few times per thousand operations loses most of its time there.
 *
 * <p>Run: {@code java -cp safethread-bench/target/benchmarks.jar org.safethread.bench.ParkCost [round trips]}
 * (default 200,000).
 */
public final class ParkCost {
    /** Whose turn it is (0 or 1); volatile, so a woken thread sees the hand-off. */
    private static volatile int turn;

    private ParkCost() {
    }

    public static void main(String[] args) throws InterruptedException {
        int trips = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        pingPong(trips / 10); // warm-up
        long start = System.nanoTime();
        pingPong(trips);
        double micros = (System.nanoTime() - start) / 1e3 / trips;
        System.out.println(String.format(Locale.ROOT,
                "park/unpark round trip (two wake-ups): %.2f us, %.2f us per wake-up", micros, micros / 2));
    }

    private static void pingPong(int trips) throws InterruptedException {
        Thread[] players = new Thread[2];
        turn = 0;
        for (int k = 0; k < 2; k++) {
            int me = k;
            players[k] = new Thread(() -> {
                for (int i = 0; i < trips; i++) {
                    while (turn != me) {
                        LockSupport.park(); // spurious returns re-check the turn
                    }
                    turn = 1 - me;
                    LockSupport.unpark(players[1 - me]);
                }
            }, "park-cost-" + k);
        }
        players[0].start();
        players[1].start();
        players[0].join();
        players[1].join();
    }
}
