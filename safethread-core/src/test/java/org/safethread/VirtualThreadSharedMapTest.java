package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.safethread.MonitorTesting.VIRTUAL;
import static org.safethread.MonitorTesting.start;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;
import org.safethread.MonitorTesting.Worker;

/**
 * SharedMap pending-key waits and MonitorSpace entries on virtual threads (JDK 21+): waits park
 * with {@code LockSupport}, so they neither pin carriers nor escape deadlock detection.
 */
@EnabledForJreRange(min = JRE.JAVA_21)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class VirtualThreadSharedMapTest {

    @Test
    void computeIfAbsentRunsOnceAmongManyVirtualThreads() throws Throwable {
        SharedMap<String, Integer> m = new SharedMap<>();
        AtomicInteger runs = new AtomicInteger();
        List<Worker> workers = new ArrayList<>();
        for (int t = 0; t < 64; t++) {
            workers.add(start(VIRTUAL, "v-" + t, () -> assertThat(m.computeIfAbsent("k", k -> {
                runs.incrementAndGet();
                LockSupport.parkNanos(5_000_000);
                return 7;
            })).isEqualTo(7)));
        }
        MonitorTesting.assertNoFailures(workers);
        assertThat(runs.get()).isEqualTo(1);
    }

    @Test
    void crossedMappingsOnVirtualThreadsEndInOneDeadlockException() throws Throwable {
        for (int round = 0; round < 10; round++) {
            SharedMap<String, String> m = new SharedMap<>();
            CyclicBarrier both = new CyclicBarrier(2);
            AtomicInteger deadlocks = new AtomicInteger();
            Map<String, String> results = new ConcurrentHashMap<>();
            Worker a = start(VIRTUAL, "vA", () -> {
                try {
                    results.put("A", m.computeIfAbsent("k1", k -> {
                        MonitorTesting.await(both);
                        return "1+" + m.computeIfAbsent("k2", kk -> "2");
                    }));
                } catch (DeadlockException e) {
                    deadlocks.incrementAndGet();
                }
            });
            Worker b = start(VIRTUAL, "vB", () -> {
                try {
                    results.put("B", m.computeIfAbsent("k2", k -> {
                        MonitorTesting.await(both);
                        return "2+" + m.computeIfAbsent("k1", kk -> "1");
                    }));
                } catch (DeadlockException e) {
                    deadlocks.incrementAndGet();
                }
            });
            a.joinAndCheck();
            b.joinAndCheck();
            assertThat(deadlocks.get()).isEqualTo(1);
            assertThat(results).hasSize(1);
        }
    }

    @Test
    void aSpaceOnVirtualThreadsConservesItsTotal() throws Throwable {
        MonitorSpace space = MonitorSpace.create("v-bank");
        List<MonitorSpaceTest.Cell> cells = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            MonitorSpaceTest.Cell c = space.monitor(new MonitorSpaceTest.Cell());
            c.add(100);
            cells.add(c);
        }
        List<Worker> workers = new ArrayList<>();
        for (int t = 0; t < 16; t++) {
            int id = t;
            workers.add(start(VIRTUAL, "v-mover-" + t, () -> {
                for (int i = 0; i < 500; i++) {
                    cells.get((id + i) % 4).moveTo(cells.get((id + 2 * i + 1) % 4), 1);
                }
            }));
        }
        MonitorTesting.assertNoFailures(workers);
        assertThat(cells.stream().mapToInt(MonitorSpaceTest.Cell::get).sum()).isEqualTo(400);
    }
}
